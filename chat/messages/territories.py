"""Messages of territories and the public pool: lead cards, /pool, claims, alerts, reclaim, /away,
/territories and the routing decision."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # sources
    "lead.source.forward": ("经理转交", "forwarded by a manager"),
    "lead.source.api": ("网站表单", "web form"),
    "lead.source.wechat": ("公众号咨询", "Official Account message"),
    "lead.source.import": ("表格导入", "spreadsheet import"),
    "lead.source.reclaim": ("公海收回", "reclaimed"),
    # why a lead went where it went
    "routing.reason.territory": (
        "「{rule}」辖区（{by_name}匹配：{place}），你 24 小时内收到的线索最少（{received} 条）",
        "territory “{rule}” ({by_name} match: {place}); you had the fewest leads in 24 h ({received})",
    ),
    "routing.reason.existing_customer": (
        "老客户：该客户已由{owner}负责",
        "existing customer: {owner} already owns it",
    ),
    "routing.reason.assigned_by": ("{by}分配给你", "assigned to you by {by}"),
    "routing.reason.region_unclear": ("地区不明确", "region unclear"),
    "routing.reason.no_rule": (
        "没有辖区规则覆盖{place}（{region}）",
        "no territory covers {place} ({region_en})",
    ),
    "routing.reason.rule_pool": (
        "「{rule}」辖区的线索直接进公海",
        "territory “{rule}” sends its leads to the pool",
    ),
    "routing.reason.nobody_eligible": (
        "「{rule}」辖区的成员目前都不能接单",
        "nobody in territory “{rule}” can take a lead now",
    ),
    "routing.reason.reclaimed": (
        "{former}已 {days} 天没有有效跟进，收回公海",
        "{former} had no qualifying follow-up for {days} days: reclaimed",
    ),
    "routing.by.district": ("区县", "district"),
    "routing.by.city": ("城市", "city"),
    "routing.by.province": ("省份", "province"),
    "routing.by.region": ("大区", "sales region"),
    "routing.skip.inactive": ("已停用", "deactivated"),
    "routing.skip.away": ("休假 / 请假", "away"),
    "routing.skip.off_hours": ("非工作时间", "outside working hours"),
    "routing.skip.at_cap": ("已达保有上限（{count}/{cap}）", "at holding cap ({count}/{cap})"),
    "routing.skip.at_quota": ("今日线索已满（{count}/{quota}）", "daily quota reached ({count}/{quota})"),
    "routing.skip.unknown": ("不是团队成员", "not a member of the team"),
    "routing.skip.ambiguous": ("重名，请用成员编号", "name not unique: use the member id"),
    # the lead card a rep receives
    "lead.card.assigned": ("📥 新线索分配给你 {tag}", "📥 A new lead for you {tag}"),
    "lead.imported.head": (
        "📥 导入的 {count} 条线索分配给了你（{file}）：",
        "📥 {count} imported leads are yours now ({file}):",
    ),
    "lead.imported.line": ("• {tag} {name}{contact} · {place}", "• {tag} {name}{contact} · {place}"),
    "lead.imported.more": ("…还有 {count} 条，用 /find 查看", "…and {count} more: /find shows them"),
    "lead.card.existing": ("📥 你的客户又来了 {tag}", "📥 Your customer came in again {tag}"),
    "lead.card.pool": ("🌊 公海线索 {tag}", "🌊 Pool lead {tag}"),
    "lead.card.claimed": ("✅ 已领取 {tag}，客户归你了", "✅ Claimed {tag}: the customer is yours"),
    "lead.card.given": ("✅ {tag} 已分配给{name}", "✅ {tag} assigned to {name}"),
    "lead.card.source": ("来源：{source}", "Source: {source}"),
    "lead.card.origin": ("来源：{source}（{origin}）", "Source: {source} ({origin})"),
    "lead.card.place": ("📍 地区：{place}", "📍 Region: {place}"),
    "lead.card.why": ("为什么是你：{reason}", "Why you: {reason}"),
    "lead.card.reason": ("原因：{reason}", "Reason: {reason}"),
    "lead.card.note": ("💬 {note}", "💬 {note}"),
    "lead.card.waiting": ("已等待 {age}", "waiting {age}"),
    "lead.unnamed": ("（未命名客户）", "(unnamed customer)"),
    "lead.button.open": ("📂 打开客户", "📂 Open customer"),
    "lead.button.route": ("🔀 分配给团队", "🔀 Route to the team"),
    "lead.route.offer": (
        "经理可将这条线索按辖区分配给团队。",
        "Managers can route this lead to the team by territory.",
    ),
    # /lead
    "lead.usage": (
        "请粘贴或转发要分配的线索（姓名、公司、电话、地址……），我会按辖区分给合适的销售。",
        "Paste or forward the lead to route (name, company, phone, address…); I will give it to the right rep.",
    ),
    "lead.managers_only": ("只有经理和管理员可以分配线索。", "Only managers and admins route leads."),
    "lead.empty": ("线索内容为空。", "The lead is empty."),
    "lead.nobody": (
        "没有识别出客户：请至少包含姓名、公司、电话、邮箱或微信号。",
        "No customer found: include at least a name, company, phone, e-mail or WeChat id.",
    ),
    "lead.not_yours": ("只能分配你自己录入的客户。", "You can only route customers you captured yourself."),
    "lead.already_routed": ("这条线索已经分配过了。", "This lead was routed already."),
    "lead.routed.to": ("🔀 {tag} 已分配给{name}：{reason}", "🔀 {tag} went to {name}: {reason}"),
    "lead.routed.pool": ("🌊 {tag} 进入「{pool}」：{reason}", "🌊 {tag} went to the pool “{pool}”: {reason}"),
    "lead.routed.repeat": ("这条线索之前已收到（{tag}）。", "This lead was received before ({tag})."),
    # /pool
    "pool.head": (
        "🌊 公海待领取 {total} 条（最新在前）：",
        "🌊 {total} leads waiting in the pool (newest first):",
    ),
    "pool.empty": ("公海里暂时没有你可以领取的线索。", "No leads in the pool that you can claim."),
    "pool.line": (
        "{tag} {name}{contact}{phone} · {place} · {age}前 · {source}",
        "{tag} {name}{contact}{phone} · {place} · {age} ago · {source}",
    ),
    "pool.button.claim": ("领取 {tag}", "Claim {tag}"),
    "pool.button.more": ("更多 ▶", "More ▶"),
    "pool.taken": ("手慢了：这条线索已被{by}领取。", "Too late: {by} took this lead."),
    "pool.not_found": ("没有找到这条线索。", "No such lead."),
    "pool.no_member": ("该成员不存在或已停用。", "No such active member."),
    "pool.refused": ("暂时不能领取。", "You cannot claim now."),
    "pool.refused.cooldown": (
        "这条线索是从你这里收回的，{days} 天内不能重新领取（{until} 后可以）。",
        "This lead was taken back from you: you may claim it again after {days} days ({until}).",
    ),
    "pool.refused.daily": (
        "今天已领取 {limit} 条，达到每日上限；{until} 后可以继续领取。",
        "You claimed {limit} leads today, the daily limit; you can claim again from {until}.",
    ),
    "pool.refused.cap": (
        "你已持有 {count} 个进行中的商机，达到保有上限 {limit}；赢单、丢单或被收回后可以继续领取。",
        "You hold {count} open deals, the holding cap of {limit}; claim again once one is won, lost or reclaimed.",
    ),
    # managers: alerts, region picks
    "pool.alert": (
        "⏰ 线索 {tag} 已等待 {age} 无人领取：{name} · {place}\n请分配给：",
        "⏰ Lead {tag} unclaimed for {age}: {name} · {place}\nAssign it to:",
    ),
    "pool.escalate": (
        "🚨 线索 {tag} 已等待 {age} 仍无人领取（已提醒经理）：{name} · {place}\n请分配给：",
        "🚨 Lead {tag} still unclaimed after {age} (the manager was told): {name} · {place}\nAssign it to:",
    ),
    "pool.pick": (
        "📍 线索 {tag} 地区不明确：{name}（{said}）。请选择所在地区，或直接分配：",
        "📍 Lead {tag}: region unclear for {name} ({said}). Pick where it is, or assign it:",
    ),
    "pool.button.assign": ("分配给{name}", "Assign to {name}"),
    "pool.button.place": ("📍 {place}", "📍 {place}"),
    "pool.picked": ("📍 已设为{place}。", "📍 Set to {place}."),
    # reclaim
    "reclaim.warning": (
        "⚠️ 「{name}」将于 {when} 收回公海：{stage}阶段 {days} 天没有有效跟进。发语音、转发聊天、拍名片或签到都算跟进。",
        "⚠️ “{name}” returns to the pool on {when}: {days} days without a qualifying follow-up in {stage}. "
        "A voice note, a forwarded chat, a card or a check-in counts.",
    ),
    "reclaim.button.voice": ("🎤 现在发语音", "🎤 Send a voice note now"),
    "reclaim.button.extend": ("✋ 我在跟进：+{days} 天", "✋ I'm on it: +{days} days"),
    "reclaim.voice_prompt": (
        "好的，直接发一条语音说说最新进展，我会记到「{name}」名下。",
        "Go ahead: send a voice note with the latest on “{name}” and I will file it there.",
    ),
    "reclaim.extended": ("已延期：{when} 前不会收回。", "Extended: not reclaimed before {when}."),
    "reclaim.extended_once": ("每条线索只能延期一次。", "A lead can be extended only once."),
    "reclaim.done": (
        "↩️ 「{name}」已收回公海：{stage}阶段 {days} 天没有有效跟进（最近一次：{last}）。{cooldown} 天内你不能重新领取。",
        "↩️ “{name}” returned to the pool: {days} days without a qualifying follow-up in {stage} (last: {last}). "
        "You may claim it again after {cooldown} days.",
    ),
    # a stranger on the Official Account
    "stranger.thanks": (
        "您好，已收到您的咨询，我们的销售顾问会尽快与您联系。",
        "Thank you, we received your message; one of our sales consultants will contact you shortly.",
    ),
    # /away
    "away.show": ("你的休假设置：\n{lines}", "Your time off:\n{lines}"),
    "away.weekly": ("每周休息：{days}", "Weekly days off: {days}"),
    "away.period": ("休假：{start} — {end}", "Away: {start} — {end}"),
    "away.none": ("没有设置休假，线索会照常分配给你。", "No time off set: leads reach you as usual."),
    "away.usage": (
        "用法：/away 12月24日-12月27日（一段日期）、/away 周六（那一天）、/away 每周六日（每周休息）、/away 清除",
        "Usage: /away 12/24-12/27 (dates), /away Saturday (that day), /away weekly sat sun, /away clear",
    ),
    "away.set": ("已设置。休假期间新线索不会分给你。", "Saved. No new leads reach you while you are away."),
    "away.cleared": ("已清除休假设置。", "Time off cleared."),
    "away.past": ("这段日期已经过去了。", "Those dates are past."),
    "away.too_long": ("一次最多设置 {days} 天。", "At most {days} days at a time."),
    # /territories
    "territories.show": (
        "🗺 辖区（{kind}）：{rules} 条规则 · 默认公海「{pool}」\n{lines}\n管理员可发送 .toml 文件并写说明 /territories 来更新。",
        "🗺 Territories ({kind}): {rules} rules · default pool “{pool}”\n{lines}\n"
        "Admins update them by sending a .toml file with the caption /territories.",
    ),
    "territories.kind.custom": ("团队自定义", "the team's own"),
    "territories.kind.default": ("默认", "default"),
    "territories.rule": ("• {name}：{where} → {target}", "• {name}: {where} → {target}"),
    "territories.limits": (
        "上限：保有 {cap} · 每日分配 {quota} · 每日领取 {claims} · 收回后 {cooldown} 天内不可再领",
        "Limits: hold {cap} · {quota} routed per day · {claims} claims per day · {cooldown} days before re-claiming",
    ),
    "territories.loaded": ("✅ 辖区已更新：{rules} 条规则。", "✅ Territories loaded: {rules} rules."),
    "territories.invalid": (
        "辖区文件有 {count} 处错误，未作任何修改：",
        "The territory file has {count} errors; nothing changed:",
    ),
    "territories.warnings": ("注意：", "Note:"),
    "territories.admin_only": ("只有管理员可以更新辖区。", "Only admins can change territories."),
    "territories.caption_needed": (
        "要更新辖区，请发送 .toml 文件并写说明 /territories。",
        "To update territories, send the .toml file with the caption /territories.",
    ),
    "territories.too_large": ("文件太大（最大 256 KB）。", "The file is too large (256 KB at most)."),
    "territories.no_team": ("没有团队 {team}。", "No team {team}."),
    "territories.line": ("第 {line} 行：", "line {line}: "),
    "territories.problem.too_large": ("文件超过 {limit} KB", "the file is over {limit} KB"),
    "territories.problem.syntax": ("TOML 语法错误：{detail}", "TOML syntax error: {detail}"),
    "territories.problem.encoding": ("文件不是 UTF-8 编码", "the file is not UTF-8"),
    "territories.problem.unknown_key": ("{where} 未知字段 {field}", "{where} unknown field {field}"),
    "territories.problem.type": ("{field} 应为 {expected}", "{field} must be {expected}"),
    "territories.problem.range": (
        "{field} 应在 {low} 到 {high} 之间",
        "{field} must be between {low} and {high}",
    ),
    "territories.problem.timezone": ("未知时区 {value}", "unknown timezone {value}"),
    "territories.problem.bad_time": (
        "{field} 时间格式应为 HH:MM（{value}）",
        "{field} must be HH:MM ({value})",
    ),
    "territories.problem.bad_day": ("未知星期 {value}（mon…sun）", "unknown weekday {value} (mon…sun)"),
    "territories.problem.hours_order": (
        "下班时间 {end} 应晚于上班时间 {start}",
        "end {end} must be after start {start}",
    ),
    "territories.problem.alerts_order": (
        "admin_after_hours 不能早于 manager_after_hours",
        "admin_after_hours must not be before manager_after_hours",
    ),
    "territories.problem.bad_scope": (
        "scope 应为 all 或 routed（{value}）",
        "scope must be all or routed ({value})",
    ),
    "territories.problem.key_format": (
        "键 {key} 应为小写字母、数字、下划线",
        "key {key}: lower-case letters, digits, _",
    ),
    "territories.problem.duplicate": ("{what}「{name}」重复", "{what} “{name}” appears twice"),
    "territories.problem.unknown_place": ("未知地区「{value}」", "unknown place “{value}”"),
    "territories.problem.ambiguous_place": (
        "「{value}」有多个地方：{options}，请写全称",
        "“{value}” is several places: {options}; write the full name",
    ),
    "territories.problem.province_twice": (
        "{value} 已属于大区 {region}",
        "{value} already belongs to region {region}",
    ),
    "territories.problem.place_twice": (
        "「{value}」已在规则「{rule}」中",
        "“{value}” is already in rule “{rule}”",
    ),
    "territories.problem.unknown_region": ("未知大区「{value}」", "unknown sales region “{value}”"),
    "territories.problem.no_place": (
        "规则 {rule} 没有 place / places / region",
        "rule {rule} has no place, places or region",
    ),
    "territories.problem.no_target": (
        "规则 {rule} 没有 members 或 pool",
        "rule {rule} has no members or pool",
    ),
    "territories.problem.too_many": ("{what} 超过 {limit} 条", "more than {limit} {what} entries"),
    "territories.problem.unknown_member": (
        "「{where}」中的成员 {member} 不在团队里",
        "member {member} in “{where}” is not in the team",
    ),
    "territories.problem.ambiguous_member": (
        "「{where}」中的成员 {member} 重名（编号 {ids}），请写编号",
        "member {member} in “{where}” is not unique (ids {ids}): use the id",
    ),
    "territories.problem.inactive_member": (
        "「{where}」中的成员 {member} 已停用，分配时会跳过",
        "member {member} in “{where}” is deactivated and will be skipped",
    ),
    # the digest
    "digest.pool.head": ("🌊 线索与公海", "🌊 Leads and the pool"),
    "digest.pool.counts": (
        "昨日新线索 {routed} 条 · 收回公海 {reclaimed} 条 · 公海待领取 {waiting} 条",
        "Yesterday: {routed} new leads · {reclaimed} reclaimed · {waiting} waiting in the pool",
    ),
    "digest.pool.oldest": ("  • {tag} {name} · 已等待 {age}", "  • {tag} {name} · waiting {age}"),
    "digest.pool.at_cap": ("达到保有上限：{names}", "At their holding cap: {names}"),
}
