"""Messages of deals: deal cards, gates, evidence, roles, /pipeline, digests and stages."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the deal card
    "deal.card.stage": ("阶段：{stage} · 已 {days} 天", "Stage: {stage} · {days} days"),
    "deal.card.stalled": ("（⏳ 停滞）", " (⏳ stalled)"),
    "deal.card.won": ("🏆 已赢单 {when}", "🏆 Won {when}"),
    "deal.card.lost": ("✖ 已丢单：{reason}", "✖ Lost: {reason}"),
    "deal.card.owner": ("负责人：{owner} · 金额：{amount}", "Owner: {owner} · Amount: {amount}"),
    "deal.card.health": (
        "健康：证据 {completeness}% · 决策链 {engaged}/{required} · 最近互动 {last} · 逾期承诺 {overdue}",
        "Health: evidence {completeness}% · decision chain {engaged}/{required} · last contact {last} · "
        "overdue commitments {overdue}",
    ),
    "deal.card.needs": ("推进到「{stage}」需要：", "To advance to “{stage}”:"),
    "deal.card.chain": ("决策链：{chain}", "Decision chain: {chain}"),
    "deal.card.advice": ("💡 {advice}", "💡 {advice}"),
    "deal.card.files": ("📎 存档文件：{files}", "📎 Filed: {files}"),
    "deal.card.changed": ("最近变更：{when} {change}", "Last change: {when} {change}"),
    "deal.evidence.kind.file": ("文件", "file"),
    "deal.evidence.kind.text": ("聊天记录", "chat"),
    "deal.evidence.kind.declaration": ("已确认", "confirmed"),
    "deal.never": ("无", "none"),
    "deal.today": ("今天", "today"),
    "deal.days_ago": ("{days} 天前", "{days} days ago"),
    "deal.line.days": ("{days}天", "{days}d"),
    "deal.role.decision_maker": ("拍板人", "decision maker"),
    "deal.role.procurement": ("采购", "procurement"),
    "deal.role.technical": ("技术", "technical"),
    "deal.role.finance": ("财务", "finance"),
    "deal.role.user": ("使用部门", "user"),
    "deal.role.none": ("清除角色", "No role"),
    "deal.role.choose": ("{name} 在决策链中是什么角色？", "What is {name}'s role in the decision chain?"),
    "deal.chain.head": ("👥 {deal} 决策链：{chain}", "👥 {deal} decision chain: {chain}"),
    "deal.chain.none": (
        "还没有联系人。回复商机卡片说明谁负责什么，例如「王总是财务负责人」。",
        "No contacts yet. Reply to the deal card saying who is who, e.g. “Li is their CTO”.",
    ),
    "deal.chain.pick": ("选一位联系人设置角色：", "Pick a contact to set their role:"),
    # buttons
    "deal.button.advance": ("▶ 推进到 {stage}", "▶ Advance to {stage}"),
    "deal.button.field.budget": ("💰 填写预算", "💰 Add budget"),
    "deal.button.field.timeline": ("🗓 填写时间", "🗓 Add timeline"),
    "deal.button.declare": ("✅ 确认：{name}", "✅ Confirm: {name}"),
    "deal.button.chain": ("👥 决策链", "👥 Decision chain"),
    "deal.button.lost": ("✖ 丢单", "✖ Lost"),
    "deal.button.override": ("⚠️ 强制推进", "⚠️ Override"),
    "deal.button.open": ("📂 打开商机", "📂 Open deal"),
    # advice (the digest's suggested interventions)
    "deal.advice.overdue": (
        "{count} 项承诺已逾期：建议今天兑现或与客户重新约定",
        "{count} commitments overdue: deliver today or agree a new date with the customer",
    ),
    "deal.advice.cold": ("已 {days} 天没有互动：建议今天回访", "No contact for {days} days: call them today"),
    "deal.advice.generic": ("缺少「{name}」：建议尽快补齐", "Missing “{name}”: get it soon"),
    "deal.advice.stalled_prefix": ("已停滞 {days} 天。", "Stalled {days} days. "),
    "deal.advice.ready": ("证据已齐：建议推进到「{stage}」", "Evidence complete: advance to “{stage}”"),
    # how to add a missing requirement from chat
    "deal.hint.budget": (
        "回复本消息写上预算，例如「预算50万」，或点「填写预算」",
        "reply to this message with the budget, e.g. “budget 500k”, or tap “Add budget”",
    ),
    "deal.hint.timeline": (
        "回复本消息写上时间，例如「明年3月上线」，或点「填写时间」",
        "reply to this message with the timeline, e.g. “go live next March”, or tap “Add timeline”",
    ),
    "deal.hint.role": (
        "回复本消息说明谁是{role}，例如「王总是{role}负责人」，或点「决策链」给联系人设角色",
        "reply to this message saying who handles {role}, e.g. “Li is their {role} lead”, or tap "
        "“Decision chain” to set a contact's role",
    ),
    "deal.hint.evidence": (
        "把文件或截图发给我，说明写「{deal} {word}」，或回复本消息发送",
        "send me the file or screenshot with the caption “{deal} {word}”, or send it as a reply to this message",
    ),
    "deal.hint.declare": ("；或点「确认：{name}」", "; or tap “Confirm: {name}”"),
    # gates and stage changes
    "deal.gate.refused": (
        "无法推进到「{stage}」：还缺 {count} 项",
        "Cannot advance to “{stage}”: {count} missing",
    ),
    "deal.gate.head": (
        "⛔ {deal} {name} 不能推进到「{stage}」，还缺 {count} 项：",
        "⛔ {deal} {name} cannot advance to “{stage}”; {count} missing:",
    ),
    "deal.gate.override_hint": (
        "经理可以点「强制推进」并写明原因，原因会记录在案。",
        "A manager may tap “Override” and give a reason; it is recorded.",
    ),
    "deal.advanced": ("✅ {deal} 已推进：{before} → {after}", "✅ {deal} advanced: {before} → {after}"),
    "deal.advanced.back": ("↩️ {deal} 已退回：{before} → {after}", "↩️ {deal} moved back: {before} → {after}"),
    "deal.advanced.won": ("🏆 {deal} 赢单！恭喜！", "🏆 {deal} won! Congratulations!"),
    "deal.advanced.lost": ("✖ {deal} 已记为丢单。", "✖ {deal} recorded as lost."),
    "deal.advanced.override": (
        "⚠️ 经理强制推进，缺少：{missing}（已记录原因）",
        "⚠️ Manager override; missing: {missing} (reason recorded)",
    ),
    "deal.already_in": ("商机已经在「{stage}」阶段了。", "The deal is already in “{stage}”."),
    # won and lost as a deal's stage
    "stage.won": ("🏆 赢单", "🏆 Won"),
    "stage.lost": ("✖ 丢单", "✖ Lost"),
    "deal.unknown_stage": ("没有「{stage}」这个阶段。", "There is no stage “{stage}”."),
    "deal.closed.won": (
        "{deal} 已赢单，不能再推进或修改阶段。",
        "{deal} is won; its stage cannot change any more.",
    ),
    "deal.closed.lost": (
        "{deal} 已丢单，不能再推进或修改阶段。",
        "{deal} is lost; its stage cannot change any more.",
    ),
    "deal.closed.open": ("{deal} 还在进行中。", "{deal} is still open."),
    "deal.override.not_allowed": ("只有经理可以强制推进。", "Only managers may override a stage gate."),
    "deal.override.prompt": (
        "请写明强制推进 {deal} 的原因（会记录在案）：",
        "Why override the gate for {deal}? (The reason is recorded.)",
    ),
    "deal.lost.prompt": ("{deal} 丢单的原因是什么？", "Why was {deal} lost?"),
    "deal.field.prompt.budget": ("{deal} 的预算是多少？例如「50万」", "What is {deal}'s budget? e.g. “500k”"),
    "deal.field.prompt.timeline": (
        "{deal} 的时间计划？例如「明年3月上线」",
        "What is {deal}'s timeline? e.g. “go live next March”",
    ),
    "deal.field.set.budget": ("💰 预算已更新", "💰 Budget updated"),
    "deal.field.set.timeline": ("🗓 时间计划已更新", "🗓 Timeline updated"),
    "deal.not_found": ("找不到商机 {ref}，或你无权查看。", "Deal {ref} not found, or not one you may see."),
    "deal.not_found.query": ("没有找到与「{query}」相关的进行中商机。", "No open deal matches “{query}”."),
    "deal.contact_not_found": (
        "找不到这位联系人，或你无权查看。",
        "Contact not found, or not one you may see.",
    ),
    "deal.usage": ("用法：/deal 客户名称 或 /deal #D12", "Usage: /deal customer name, or /deal #D12"),
    "deal.choose": ("找到多个商机，请选择：", "Several deals match; pick one:"),
    "deal.choose.advance": ("要推进哪个商机？", "Which deal should advance?"),
    "deal.list.head": ("📋 进行中的商机（{count}）", "📋 Open deals ({count})"),
    "deal.list.empty": (
        "还没有进行中的商机。转发客户聊天给我，就会生成线索和商机。",
        "No open deals yet. Forward me a customer chat to create a lead and its deal.",
    ),
    # notes and roles
    "deal.note.saved": ("📝 已记到 {deal}", "📝 Noted on {deal}"),
    "deal.note.budget": ("预算 {budget}", "budget {budget}"),
    "deal.note.timeline": ("时间 {timeline}", "timeline {timeline}"),
    "deal.note.role": ("{name} → {role}", "{name} → {role}"),
    "role.set": ("👥 {name} 的角色：{role}", "👥 {name}'s role: {role}"),
    "role.set.created": ("👥 已添加联系人 {name}，角色：{role}", "👥 Contact {name} added as {role}"),
    "role.cleared": ("👥 已清除 {name} 的角色", "👥 {name}'s role cleared"),
    "role.which_customer": (
        "不确定 {name} 是哪个客户的联系人。请回复对应的商机卡片再说一次。",
        "Which customer is {name} with? Say it again in reply to that deal's card.",
    ),
    "deal.ping.message": (
        "📣 {manager} 请你跟进 {deal} {name}（{stage}）：{advice}",
        "📣 {manager} asks you to follow up {deal} {name} ({stage}): {advice}",
    ),
    "deal.ping.sent": ("📣 已提醒 {owner} 跟进 {deal}。", "📣 {owner} was asked to follow up {deal}."),
    "deal.ping.failed": (
        "没能联系到 {owner}（对方的聊天渠道暂不可用），请稍后再试。",
        "Could not reach {owner} (their channel is not available); try again later.",
    ),
    # evidence
    "evidence.received": ("📎 收到「{name}」（{type}，{size}）", "📎 Received “{name}” ({type}, {size})"),
    "evidence.stored_before": (
        "（同一文件已保存过，不重复存储）",
        "(The same file was stored before; kept once.)",
    ),
    "evidence.deal": ("商机：{deal} {name}", "Deal: {deal} {name}"),
    "evidence.which_deal": ("这是哪个商机的材料？", "Which deal is this for?"),
    "evidence.no_deals": (
        "你还没有进行中的商机：先转发客户聊天给我。",
        "You have no open deal yet: forward me a customer chat first.",
    ),
    "evidence.guess": (
        "这是「{requirement}」吗？（依据：{why}）",
        "Is this the “{requirement}”? (found: {why})",
    ),
    "evidence.no_guess": ("这份材料证明哪一项？", "What does this prove?"),
    "evidence.button.yes": ("✅ 是：{requirement}", "✅ Yes: {requirement}"),
    "evidence.button.keep": ("🗂 仅存档", "🗂 Just file it"),
    "evidence.button.discard": ("✖ 不用了", "✖ Discard"),
    "evidence.button.capture": ("📎 作为证据：{requirement}", "📎 Keep as evidence: {requirement}"),
    "evidence.capture_offer": (
        "💡 这段聊天像是「{requirement}」，可以作为 {deal} 的证据。",
        "💡 This chat looks like the “{requirement}”; it can be evidence for {deal}.",
    ),
    "evidence.confirmed": ("✅ 已记为 {deal} 的「{requirement}」", "✅ Recorded as {deal}'s “{requirement}”"),
    "evidence.kept": ("🗂 已存档到 {deal}", "🗂 Filed on {deal}"),
    "evidence.ready": (
        "🎯 证据已齐，可以推进到「{stage}」了。",
        "🎯 Evidence complete: ready for “{stage}”.",
    ),
    "evidence.discarded": ("已丢弃。", "Discarded."),
    "evidence.duplicate": (
        "这个文件已经作为 {deal} {name} 的「{requirement}」记录过了，不重复添加。",
        "This file is already recorded as {deal} {name}'s “{requirement}”; not added again.",
    ),
    "evidence.general": ("存档文件", "filed document"),
    "evidence.already_decided": ("这份材料已经处理过了。", "This evidence was already decided."),
    "evidence.choose_deal": ("请先选择商机。", "Pick the deal first."),
    "evidence.unknown_requirement": (
        "没有「{requirement}」这一项要求。",
        "There is no requirement “{requirement}”.",
    ),
    "evidence.not_declarable": (
        "「{requirement}」需要上传文件或截图作为证据，不能只点确认。",
        "“{requirement}” needs a file or screenshot as evidence, not just a tap.",
    ),
    "evidence.photo_without_deal": (
        "收到图片。要作为商机证据，请在说明里写上商机（如 #D12）或材料名称（如「需求确认书」），或回复商机卡片发送。",
        "Photo received. To keep it as deal evidence, add a caption naming the deal (e.g. #D12) or what it is "
        "(e.g. “contract draft”), or send it as a reply to the deal card.",
    ),
    "file.unsupported": (
        "「{name}」这种文件我不能作为证据保存。支持：{allowed}。",
        "I cannot keep “{name}” as evidence. Supported: {allowed}.",
    ),
    "file.too_large": (
        "文件太大（{size} MB），上限是 {limit} MB。请压缩或只发关键页。",
        "The file is too large ({size} MB); the limit is {limit} MB. Compress it or send the key pages.",
    ),
    "file.read_timeout": (
        "这个文件 {seconds} 秒内没能读完（可能已损坏或结构异常），没有保存。请另存为 PDF 或只发关键页后再试。",
        "This file could not be read within {seconds} seconds (it may be damaged or unusually built), so "
        "it was not kept. Save it as a PDF, or send only the key pages, and try again.",
    ),
    "file.no_storage": (
        "文件存储未配置，暂时不能保存文件。",
        "File storage is not configured; files cannot be kept.",
    ),
    # pipeline
    "pipeline.head": ("📊 销售漏斗（{scope}）", "📊 Pipeline ({scope})"),
    "pipeline.team": ("团队", "team"),
    "pipeline.mine": ("我的", "mine"),
    "pipeline.total": ("合计 {total} 个进行中的商机", "{total} open deals in all"),
    "pipeline.chart": ("销售漏斗", "Sales funnel"),
    # digests
    "digest.head": (
        "☀️ 销售早报 · {date}\n进行中的商机：{count} 个",
        "☀️ Morning digest · {date}\nOpen deals: {count}",
    ),
    "digest.stalled": (
        "⏳ 停滞（本阶段超过 {days} 天）：{count} 个",
        "⏳ Stalled (over {days} days in their stage): {count}",
    ),
    "digest.more": ("……另有 {count} 个", "… and {count} more"),
    "digest.at_risk": ("⚠️ 风险最高", "⚠️ Most at risk"),
    "digest.closing": ("🎯 最接近成交", "🎯 Closest to closing"),
    "digest.untouched": ("🆕 无人跟进的线索：{count} 个", "🆕 Leads nobody has touched: {count}"),
    "digest.funnel": ("📊 漏斗", "📊 Funnel"),
    "digest.button.open": ("📂 {deal}", "📂 {deal}"),
    "digest.button.ping": ("📣 提醒{owner}", "📣 Ping {owner}"),
    "digest.rep.head": ("☀️ 早上好，{name} · {date}", "☀️ Good morning, {name} · {date}"),
    "digest.rep.nothing": ("今天没有待跟进的事项。", "Nothing to follow up today."),
    "digest.rep.today": ("📅 今天要跟进（{count}）", "📅 To follow up today ({count})"),
    "digest.rep.overdue": ("⏰ 逾期的承诺（{count}）", "⏰ Overdue commitments ({count})"),
    "digest.rep.overdue_item": ("• {text}{who} · 截止 {due}", "• {text}{who} · due {due}"),
    "digest.rep.stalled": ("⏳ 停滞的商机（{count}）", "⏳ Stalled deals ({count})"),
    "digest.time_set": (
        "好的，每个工作日 {time} 发早报给你。",
        "OK: your morning digest comes at {time} on workdays.",
    ),
    "digest.turned_off": (
        "已关闭早报。发 /digest on 重新开启。",
        "Morning digest off. Send /digest on to resume.",
    ),
    "digest.bad_time": (
        "「{value}」不是时间。用法：/digest 08:30、/digest off 或 /digest on",
        "“{value}” is not a time. Usage: /digest 08:30, /digest off or /digest on",
    ),
    # stage configuration
    "stages.head.default": ("⚙️ 销售阶段（默认配置）", "⚙️ Sales stages (default)"),
    "stages.head.custom": ("⚙️ 销售阶段（团队配置）", "⚙️ Sales stages (team configuration)"),
    "stages.settings": (
        "停滞阈值：{days} 天 · 早报：{time}（{workdays}）",
        "Stalled after {days} days · digest at {time} ({workdays})",
    ),
    "stages.workdays": ("仅工作日", "workdays only"),
    "stages.every_day": ("每天", "every day"),
    "stages.how": (
        "修改方法（管理员）：把 .toml 配置文件发给我，说明写 /stages；或在服务器上运行 "
        "chatcrm stages load 文件 --team {team}",
        "To change them (admins): send me the .toml file with the caption /stages, or run "
        "chatcrm stages load FILE --team {team} on the server",
    ),
    "stages.loaded": (
        "✅ 阶段配置已更新：{stages}（停滞阈值 {days} 天）",
        "✅ Stages updated: {stages} (stalled after {days} days)",
    ),
    "stages.invalid": (
        "❌ 阶段配置有 {count} 个问题，什么都没有修改：",
        "❌ The stage configuration has {count} problems; nothing was changed:",
    ),
    "stages.admin_only": ("只有管理员可以修改销售阶段。", "Only admins may change the sales stages."),
    "stages.caption_needed": (
        "要更新销售阶段，请把 .toml 文件重新发一次，说明写 /stages。",
        "To update the sales stages, send the .toml file again with the caption /stages.",
    ),
    "stages.too_large": (
        "配置文件太大（上限 64 KB）。",
        "The configuration file is too large (64 KB at most).",
    ),
    "stages.no_team": ("没有编号为 {team} 的团队。", "There is no team {team}."),
    "stages.problem.syntax": ("TOML 语法错误：{detail}", "TOML syntax error: {detail}"),
    "stages.problem.encoding": ("文件不是 UTF-8 编码。", "The file is not UTF-8."),
    "stages.problem.too_large": ("文件超过 {limit} KB。", "The file is over {limit} KB."),
    "stages.problem.unknown_key": ("{where} 不认识的设置「{field}」", "{where}: unknown setting “{field}”"),
    "stages.problem.missing": ("{where} 缺少「{field}」", "{where}: “{field}” is missing"),
    "stages.problem.type": ("{where}「{field}」应为 {expected}", "{where}: “{field}” must be {expected}"),
    "stages.problem.range": (
        "{where}「{field}」应在 {low} 到 {high} 之间",
        "{where}: “{field}” must be {low} to {high}",
    ),
    "stages.problem.bad_time": (
        "[digest] time 应为 HH:MM，而不是「{value}」",
        "[digest] time must be HH:MM, not “{value}”",
    ),
    "stages.problem.too_many": ("{what} 最多 {limit} 个", "At most {limit} of {what}"),
    "stages.problem.key_format": (
        "{where} key「{key}」只能用小写字母、数字和下划线（以字母开头，最多 40 个字符）",
        "{where}: key “{key}” must be lower-case letters, digits and underscores (a letter first, 40 at most)",
    ),
    "stages.problem.not_for_kind": (
        "{where}「{field}」不适用于 kind = {kind}",
        "{where}: “{field}” does not apply to kind = {kind}",
    ),
    "stages.problem.bad_kind": (
        "{where} kind 应为 field、role 或 evidence，而不是「{value}」",
        "{where}: kind must be field, role or evidence, not “{value}”",
    ),
    "stages.problem.bad_field": (
        "{where} field 应为 budget 或 timeline，而不是「{value}」",
        "{where}: field must be budget or timeline, not “{value}”",
    ),
    "stages.problem.bad_role": (
        "{where} role 应为 {roles} 之一，而不是「{value}」",
        "{where}: role must be one of {roles}, not “{value}”",
    ),
    "stages.problem.no_stages": ("至少需要一个 [[stage]]", "At least one [[stage]] is needed"),
    "stages.problem.reserved": (
        "阶段 key「{key}」是保留字（won、lost）",
        "Stage key “{key}” is reserved (won, lost)",
    ),
    "stages.problem.duplicate_stage": ("阶段 key「{key}」重复", "Stage key “{key}” is used twice"),
    "stages.problem.first": (
        "第一个阶段的 key 必须是「{first}」（新线索从这里开始），现在是「{key}」",
        "The first stage's key must be “{first}” (new leads start there), not “{key}”",
    ),
    "stages.problem.undefined_requirement": (
        "阶段「{stage}」要求的「{key}」没有定义（缺少 [requirement.{key}]）",
        "Stage “{stage}” requires “{key}”, which is not defined (no [requirement.{key}])",
    ),
    "stages.problem.open_deals": (
        "阶段「{key}」被删除了，但还有 {count} 个进行中的商机在这个阶段",
        "Stage “{key}” is dropped but {count} open deals are in it",
    ),
}
