"""How membership reads: the help text (with the managers' part for managers) and role names."""

from __future__ import annotations

from chat.messages import t
from chat.views import Reply
from crm.model import Lang, Member, Role


def help_text(member: Member) -> Reply:
    body = t(member.lang, "help")
    if member.role is not Role.REP:
        body += t(member.lang, "help.manager")
    return Reply(body)


def role_name(lang: Lang, role: Role) -> str:
    return t(lang, f"role.{role.value}")
