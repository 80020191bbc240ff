"""Messages of team administration: the roster, deactivation and hand-over, roles, open invites, and
what a former member or the founder of a fresh installation is told."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # who may not start
    "start.deactivated": (
        "你在本团队的 chatcrm 访问权限已被停用，发送的内容不会被保存。如有疑问，请联系团队管理员。",
        "Your access to this team's chatcrm has been removed; nothing you send is stored. "
        "Ask the team's admin if this is a mistake.",
    ),
    "start.claim_required": (
        "这是一个新安装，还没有团队。创建团队需要管理员认领码：它由服务器上的 chatcrm run 打印。\n"
        "请发送 /start 认领码（例如 /start ABCD-EFGH-JKLM）。",
        "This is a new installation without a team yet. Founding it takes the admin claim code that "
        "chatcrm run prints on the server.\nSend /start CODE (e.g. /start ABCD-EFGH-JKLM).",
    ),
    "claim.invalid": (
        "认领码不对或已被使用。请核对服务器上 chatcrm run 打印的认领码。",
        "This claim code is wrong or already used. Check the code chatcrm run printed on the server.",
    ),
    # the roster
    "members.title": ("团队成员（{count}）：", "Team members ({count}):"),
    "members.line": ("{number}. {name} · {role}{status}", "{number}. {name} · {role}{status}"),
    "members.inactive_mark": ("（已停用）", " (deactivated)"),
    "members.holdings": (
        "{customers} 个客户 · {deals} 个进行中商机 · {reminders} 条待办提醒",
        "{customers} customer(s) · {deals} open deal(s) · {reminders} open reminder(s)",
    ),
    "members.channels": ("渠道：{channels}", "Channels: {channels}"),
    "members.narrow": (
        "成员太多，按钮只列出前面的；用 /members 名字 缩小范围。",
        "Too many to list with buttons; narrow it down with /members NAME.",
    ),
    "members.pick": (
        "点成员可停用、改角色或转交客户。",
        "Pick a member to deactivate, change a role or hand over.",
    ),
    "members.card": ("👤 {name} · {role}{status}", "👤 {name} · {role}{status}"),
    "members.since": ("加入于 {when}", "Joined {when}"),
    "members.deactivated_on": ("停用于 {when}", "Deactivated {when}"),
    "members.pick_successor": (
        "停用 {name}？停用后其所有渠道立即失去访问权限，未使用的邀请作废。\n"
        "其名下的客户、联系人、商机以及未完成的提醒和承诺转交给谁？什么都不会删除。",
        "Deactivate {name}? Their access ends at once on every channel and their unused invites are "
        "revoked.\nWho takes over their customers, contacts, deals and open reminders and commitments? "
        "Nothing is deleted.",
    ),
    "members.pick_reassign": (
        "把 {name} 名下的客户、联系人、商机以及未完成的提醒和承诺转交给谁？",
        "Who takes over {name}'s customers, contacts, deals and open reminders and commitments?",
    ),
    "members.moved": (
        "{customers} 个客户、{contacts} 个联系人、{deals} 个商机、{commitments} 条承诺、{reminders} 条提醒",
        "{customers} customer(s), {contacts} contact(s), {deals} deal(s), {commitments} commitment(s), "
        "{reminders} reminder(s)",
    ),
    "members.deactivated": (
        "已停用 {name}：所有渠道即刻失去访问权限。\n已转交给 {successor}：{moved}。",
        "{name} is deactivated: access ended on every channel.\nHanded over to {successor}: {moved}.",
    ),
    "members.invites_revoked": (
        "同时撤销了其 {count} 个未使用的邀请。",
        "Their {count} unused invite(s) were revoked as well.",
    ),
    "members.already_inactive": ("{name} 已经是停用状态。", "{name} is already deactivated."),
    "members.reactivated": (
        "已重新启用 {name}。之前转交出去的客户不会自动转回。",
        "{name} is active again. What was handed over earlier stays where it went.",
    ),
    "members.role_set": ("{name} 现在是{role}。", "{name} is now {role}."),
    "members.role_same": ("{name} 已经是{role}。", "{name} already is {role}."),
    "members.reassigned": (
        "已把 {name} 名下的记录转交给 {successor}：{moved}。",
        "Handed {name}'s records to {successor}: {moved}.",
    ),
    # refusals
    "members.admins_only": (
        "只有管理员和经理可以管理团队成员。",
        "Only admins and managers manage the team's members.",
    ),
    "members.manager_reps_only": (
        "经理只能管理本团队的销售；经理和管理员由管理员管理。",
        "Managers act on the team's reps only; managers and admins are the admins' to manage.",
    ),
    "members.role_admins_only": ("只有管理员可以修改角色。", "Only admins change roles."),
    "members.last_admin": (
        "团队至少需要一位在职的管理员：请先把另一位成员设为管理员。",
        "The team needs an active admin: make someone else admin first.",
    ),
    "members.no_successor": (
        "团队里没有其他在职成员可以接手。",
        "Nobody else in the team is active to take over.",
    ),
    "members.bad_successor": (
        "接手的人必须是本团队另一位在职成员。",
        "The one taking over must be another active member of the team.",
    ),
    "members.unknown": ("本团队没有编号为 {member} 的成员。", "No member {member} in this team."),
    "members.inactive": ("{name} 已停用，请先重新启用。", "{name} is deactivated; reactivate them first."),
    "members.no_team": ("没有这个团队。", "No such team."),
    # open invites
    "invites.none": ("没有未使用的邀请。", "No open invites."),
    "invites.title": ("未使用的邀请（{count}）：", "Open invites ({count}):"),
    "invites.line": (
        "{number}. {code} · {role} · {creator} 创建 · {expires} 前有效",
        "{number}. {code} · {role} · made by {creator} · valid until {expires}",
    ),
    "invites.revoked": (
        "已撤销邀请 {code}：任何人都不能再用它加入。",
        "Invite {code} is revoked: nobody can join with it any more.",
    ),
    "invite.unknown": ("本团队没有这个邀请。", "No such invite in this team."),
    "invite.not_open": (
        "这个邀请已被使用、撤销或已过期。",
        "This invite is already used, revoked or expired.",
    ),
    # buttons
    "button.member_deactivate": ("停用", "Deactivate"),
    "button.member_reactivate": ("重新启用", "Reactivate"),
    "button.member_role": ("设为{role}", "Make {role}"),
    "button.member_reassign": ("转交客户", "Hand over customers"),
    "button.successor": ("交给 {name}", "To {name}"),
    "button.successor_default": ("交给 {name}（默认）", "To {name} (default)"),
    "button.invite_revoke": ("撤销 {code}", "Revoke {code}"),
}
