"""/health: the team's data health for managers and admins, a rep's own gaps for a rep; managers turn
the weekly nudge off and on with /health off and /health on."""

from __future__ import annotations

from chat.data_health import view
from chat.messages import t
from chat.registry import Registry
from chat.views import Reply
from crm.data_health import TeamHealth
from crm.data_health_service import DataHealthService
from crm.model import Member

_OFF = ("off", "关", "关闭")
_ON = ("on", "开", "开启", "打开")


class DataHealth:
    def __init__(self, service: DataHealthService) -> None:
        self.service = service

    def register(self, registry: Registry) -> None:
        registry.commands({"health": self.command})

    async def command(self, actor: Member, args: str) -> Reply:
        said = args.strip().lower()
        if said in _OFF or said in _ON:
            on = said in _ON
            await self.service.set_nudges(actor, on)
            return Reply(t(actor.lang, "health.nudges.on" if on else "health.nudges.off"))
        report = await self.service.report(actor)
        if isinstance(report, TeamHealth):
            return view.team_report(actor, report)
        return view.member_report(actor, report)
