"""A fake SMS gateway over HTTP for tests, shaped like the Chinese gateways' SendSms (see app/messaging/sms.py
HttpBackend): it records each request and answers {"Code": "OK", "BizId": ...}, or a failure when told to."""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class SmsRequest:
    mobile: str
    sign_name: str
    template: str
    params: dict
    authorization: str


class SmsGateway:
    """`with SmsGateway() as gateway:` serves at gateway.url; gateway.requests holds what was asked of it.
    gateway.fail = "http" answers 500, "refuse" answers {"Code": "isv.BUSINESS_LIMIT_CONTROL"}, None accepts."""

    def __init__(self) -> None:
        self.requests: list[SmsRequest] = []
        self.fail: str | None = None
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append(SmsRequest(body["PhoneNumbers"], body["SignName"], body["TemplateCode"],
                                                   json.loads(body["TemplateParam"]),
                                                   self.headers.get("Authorization", "")))
                if gateway.fail == "http":
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = ({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"} if gateway.fail == "refuse"
                          else {"Code": "OK", "BizId": f"biz-{len(gateway.requests)}"})
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, mobile: str) -> list[SmsRequest]:
        return [r for r in self.requests if r.mobile == mobile]

    def __enter__(self) -> "SmsGateway":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
