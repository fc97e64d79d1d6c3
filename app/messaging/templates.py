"""The SMS templates, as filed with the SMS provider: one text per kind of message, with ${name} parameters.

Chinese SMS gateways (Aliyun 短信服务, Tencent Cloud SMS) send only texts filed and approved beforehand: the site
names a template by its id and passes the parameters. The ids are the provider's, set per site in SMS_TEMPLATES
(config.py; these kinds with the defaults below); the texts here are what the templates must say, so the
development outbox shows what a phone would show. A parameter the provider limits in length is cut to PARAM_LIMIT.
"""

import re

PARAM_LIMIT = 35  # characters per variable (the gateways' limit for a variable in a notice template)

TEXTS = {
    # One-time codes, one template per purpose (app/accounts/verification.py; CodePurpose values).
    "code_register": "您的注册验证码为${code}，${minutes}分钟内有效，请勿告诉他人。",
    "code_reset_password": "您正在重设密码，验证码${code}，${minutes}分钟内有效，请勿告诉他人。",
    "code_change_mobile": "您正在将本手机号设为登录号，验证码${code}，${minutes}分钟内有效，请勿告诉他人。",
    "code_complaint": "您正在提交或查看课后服务投诉，验证码${code}，${minutes}分钟内有效，请勿告诉他人。",
    # Account warnings (app/accounts/services.py).
    "number_taken": "有人尝试用本手机号注册新账号。您已有账号：请直接登录，或在登录页点“忘记密码”。"
                    "如非本人操作，请忽略本短信。",
    "mobile_changed": "您的登录手机号已改为${mobile}。如非本人操作，请立即联系学校。",
    # A text the site wrote itself (send_sms): only for a provider that accepts a free-text template.
    "account": "${content}",
    # A routine message: what it is about; the rest is in the inbox.
    "notice": "您有一条课后服务新消息：${subject}。请登录课后服务平台查看。",
    # A step of a complaint filed without an account (app/complaints): the filer follows it by the saved link.
    "complaint": "${subject}。请用提交投诉后保存的链接和本手机号查看进展。",
    # An alert (a missing child, an incident, a child not collected): the subject says what, the body what to do.
    "alert": "【紧急】${subject}。${detail}请尽快登录课后服务平台查看或联系学校。",
}

DEFAULT_IDS = {kind: f"SMS_{kind.upper()}" for kind in TEXTS}  # placeholders: a site sets its provider's ids


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
    """A parameter on one line, cut to the gateways' limit."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1] + "…"
