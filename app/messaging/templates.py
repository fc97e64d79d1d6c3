"""The SMS templates, as filed with the SMS provider: one text per kind of message, with ${name} parameters.

Chinese SMS gateways (Aliyun 短信服务, Tencent Cloud SMS) send only texts filed and approved beforehand: the site
names a template by its id and passes the parameters. The ids are the provider's, set per site in SMS_TEMPLATES
(config.py; these kinds with the defaults below); the texts here are what the templates must say, so the
development outbox shows what a phone would show. A parameter the provider limits in length is cut to PARAM_LIMIT.
"""

import re

PARAM_LIMIT = 35  # characters per variable (the gateways' limit for a variable in a notice template)

TEXTS = {
    # Account messages (codes, warnings) are written by the site in the reader's language; their template carries the
    # whole text. A provider that allows no such template needs one template per account message.
    "account": "${content}",
    # A routine message: what it is about; the rest is in the inbox.
    "notice": "您有一条课后服务新消息：${subject}。请登录课后服务平台查看。",
    # An alert (a missing child, an incident, a child not collected): the subject says what, the body what to do.
    "alert": "【紧急】${subject}。${detail}请尽快登录课后服务平台查看或联系学校。",
}

DEFAULT_IDS = {"account": "SMS_ACCOUNT", "notice": "SMS_NOTICE", "alert": "SMS_ALERT"}


def kind_of(template_id: str, ids: dict[str, str]) -> str | None:
    """The kind a provider's template id stands for under the site's SMS_TEMPLATES."""
    for kind, known in {**DEFAULT_IDS, **ids}.items():
        if known == template_id:
            return kind
    return None


def render(kind: str, params: dict) -> str:
    """The text the phone shows for a template and its parameters."""
    return re.sub(r"\$\{(\w+)\}", lambda match: str(params.get(match.group(1), "")), TEXTS[kind])


def shorten(value: str, limit: int = PARAM_LIMIT) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1] + "…"
