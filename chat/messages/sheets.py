"""Messages of spreadsheet import and export: results, row errors, the template's instructions."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # refusals of a whole file (nothing was written)
    "import.unavailable": ("此服务器未启用表格导入。", "Spreadsheet import is not available on this server."),
    "import.empty": ("文件是空的。", "The file is empty."),
    "import.unreadable": (
        "无法读取这个文件：请确认它是 .xlsx、.xls 或 .csv，且没有损坏或加密。",
        "This file cannot be read: send an .xlsx, .xls or .csv that is not damaged or password-protected.",
    ),
    "import.encrypted": (
        "文件设有密码，请去掉密码后再发送。",
        "The file is password-protected: remove the password and send it again.",
    ),
    "import.unsupported": (
        "不支持这种文件（{name}）：请发送 .xlsx、.xls 或 .csv。",
        "This kind of file is not supported ({name}): send an .xlsx, .xls or .csv.",
    ),
    "import.encoding": (
        "无法识别 CSV 的编码：请另存为 UTF-8 或 GBK 的 CSV，或直接发送 Excel 文件。",
        "The CSV's encoding cannot be recognised: save it as UTF-8 or GBK CSV, or send the Excel file.",
    ),
    "import.too_large": (
        "文件解压后超过 {limit} MB，已拒绝。请拆分后分批导入。",
        "The file unpacks to more than {limit} MB and was refused. Split it and import the parts.",
    ),
    "import.too_many_rows": (
        "每个文件最多导入 {limit} 行，这个文件超过了上限。请拆分为多个文件后分别导入，未写入任何数据。",
        "A file may hold at most {limit} rows and this one has more. Split it into several files; nothing was written.",
    ),
    "import.too_many_columns": (
        "表格超过 {limit} 列，已拒绝。请只保留需要导入的列。",
        "The sheet has more than {limit} columns and was refused. Keep only the columns to import.",
    ),
    "import.no_columns": (
        "没有找到“客户名称”或“联系人”列，未写入任何数据。表头需要至少包含其中一列（找到的表头：{found}）。发送 /import 获取模板。",
        "No “Company” or “Name” column was found, so nothing was written. The header needs at least one of them (headers found: {found}). Send /import for the template.",
    ),
    "import.file_too_large": (
        "文件超过 {limit} MB，无法导入。",
        "The file is over {limit} MB and cannot be imported.",
    ),
    "import.not_found": ("没有找到这次导入。", "That import was not found."),
    "import.already_undone": ("这次导入已经撤销过了。", "That import was already undone."),
    "import.running": (
        "这次导入还在进行中，完成后才能撤销。",
        "That import is still running; undo it once it has finished.",
    ),
    "import.owner_not_member": (
        "指定的负责人不是本团队的在职成员。",
        "The owner given is no active member of the team.",
    ),
    # row errors (the first column of errors.xlsx)
    "import.row.no_name": (
        "缺少客户名称和联系人（至少填一项）",
        "No company and no name (fill in at least one)",
    ),
    "import.row.bad_phone": ("手机号无效：{value}", "Bad phone number: {value}"),
    "import.row.bad_email": ("邮箱无效：{value}", "Bad e-mail: {value}"),
    "import.row.bad_budget": ("预算无效：{value}", "Bad budget: {value}"),
    "import.row.bad_date": ("{column}的日期无效：{value}", "Bad date in {column}: {value}"),
    "import.row.unknown_stage": ("未知阶段：{value}", "Unknown stage: {value}"),
    "import.row.too_long": (
        "{column}太长（最多 {limit} 字）",
        "{column} is too long (at most {limit} characters)",
    ),
    "import.row.owner_unknown": (
        "负责人不是团队在职成员：{value}",
        "Owner is no active member of the team: {value}",
    ),
    "import.row.owner_ambiguous": (
        "负责人重名：{value}（请写成“姓名 #编号”）",
        "Two members have this name: {value} (write it as “name #id”)",
    ),
    "import.row.owner_not_allowed": (
        "销售只能导入自己负责的客户：{value}",
        "A rep may import only their own customers: {value}",
    ),
    "import.row.several_matches": (
        "匹配到多个已有联系人：{ids}（请在 /review 处理后再导入）",
        "Matches several existing contacts: {ids} (sort them out in /review, then import again)",
    ),
    "import.row.several_customers": (
        "匹配到多个同名客户：{ids}",
        "Matches several customers of that name: {ids}",
    ),
    "import.row.exists": (
        "已存在：{ids}（创建模式不修改已有记录）",
        "Already exists: {ids} (create mode changes no existing record)",
    ),
    "import.row.colleague": ("该客户属于其他同事", "This customer belongs to a colleague"),
    # the result
    "import.title": ("📥 导入完成：{file}", "📥 Imported: {file}"),
    "import.title.dry": ("🔎 试导入（未写入任何数据）：{file}", "🔎 Dry run (nothing was written): {file}"),
    "import.title.failed": (
        "⚠️ 导入在第 {done}/{total} 行中断（数据库错误），已写入的部分可以撤销，或重新发送同一文件继续。",
        "⚠️ The import stopped at row {done} of {total} (database error). What was written can be undone, or send the same file again to go on.",
    ),
    "import.counts": (
        "新建 {created} · 更新 {updated} · 无变化 {unchanged} · 跳过 {skipped} · 文件内重复 {merged} · 失败 {failed} · 待复核 {flagged}",
        "created {created} · updated {updated} · unchanged {unchanged} · skipped {skipped} · repeated in the file {merged} · failed {failed} · flagged {flagged}",
    ),
    "import.mode": ("模式：{mode}", "Mode: {mode}"),
    "import.mode.update": (
        "更新（补全已有记录的空白字段）",
        "update (fill the empty fields of existing records)",
    ),
    "import.mode.skip": ("跳过已有记录", "skip existing records"),
    "import.mode.create": ("只新建（已有记录的行算失败）", "create only (rows of existing records fail)"),
    "import.unknown": (
        "未识别的列已作为备注保存：{columns}",
        "Columns not recognised were kept as notes: {columns}",
    ),
    "import.skipped_sheets": ("未导入的工作表：{sheets}", "Sheets not imported: {sheets}"),
    "import.stages_kept": (
        "{count} 行的阶段与现有商机不同，未修改（只有较新的行、且由经理导入时才会修改阶段）。",
        "{count} rows name another stage than the deal's; left as it was (only newer rows imported by a manager move stages).",
    ),
    "import.flagged": (
        "{count} 条疑似重复已交给 /review 复核。",
        "{count} possible duplicates were flagged for /review.",
    ),
    "import.errors": (
        "失败的行在 errors.xlsx 中，第一列是原因；改正后直接发回即可（标题写 /import）。",
        "The failed rows are in errors.xlsx with the reason in the first column; fix them and send the file back (caption /import).",
    ),
    "import.errors.no_file": (
        "（微信公众号不能发送错误明细文件：以上是前几行的原因。）",
        "(A WeChat Official Account cannot send the error file: the first rows' reasons are above.)",
    ),
    "import.replayed": (
        "（这次导入之前已经执行过，这里是当时的结果，没有重复写入。）",
        "(This import had already run; these are its results, nothing was written again.)",
    ),
    "import.ask": (
        "📎 收到表格 {file}。要怎么处理？",
        "📎 Got the spreadsheet {file}. What should I do with it?",
    ),
    "import.button.import": ("导入为客户（先试导入）", "Import as customers (dry run first)"),
    "import.button.evidence": ("作为商机证据保存", "Keep as deal evidence"),
    "import.button.cancel": ("取消", "Cancel"),
    "import.button.confirm": ("✅ 确认导入", "✅ Import it"),
    "import.confirm": (
        "以上是试导入的结果，确认后才会写入。",
        "That was a dry run: nothing is written until you confirm.",
    ),
    "import.dropped": ("好的，这个表格不做处理。", "OK, nothing was done with that spreadsheet."),
    "import.file_gone": (
        "找不到这个表格了，请重新发送文件。",
        "That spreadsheet is no longer here: please send the file again.",
    ),
    "import.errors.more": ("……另有 {count} 行", "…and {count} more rows"),
    "import.line": ("{sheet} 第 {line} 行：{reason}", "{sheet} row {line}: {reason}"),
    "import.progress": ("📥 正在导入… {done}/{total} 行", "📥 Importing… {done}/{total} rows"),
    "import.started": ("📥 正在读取 {file}…", "📥 Reading {file}…"),
    "import.button.undo": ("↩️ 撤销这次导入", "↩️ Undo this import"),
    "import.undone": (
        "↩️ 已撤销导入 #{id}：归档 {archived} 条记录，恢复 {reverted} 个字段。",
        "↩️ Import #{id} undone: {archived} records archived, {reverted} fields restored.",
    ),
    "import.undone.kept": (
        "{count} 处之后又被修改过，保持不变。",
        "{count} things were changed since and were kept as they are.",
    ),
    "import.errors_sheet.reason": ("错误原因", "Error"),
    # the template
    "import.template": (
        "📄 导入模板：每行一个联系人及其客户。带 * 的列至少填一项（客户名称或联系人）；阶段按本团队的销售阶段填写；其余列可留空，未识别的列会作为备注保存。\n填好后发送文件，标题（说明）写 /import；可加 skip（跳过已有记录）、create（只新建）或 dry（试导入，不写入）。",
        "📄 Import template: one row per contact and its company. Fill at least one of the * columns (Company or Name); Stage takes your team's stage names; the rest may stay empty, and columns not recognised are kept as notes.\nSend the filled file with the caption /import; add skip (leave existing records), create (only new ones) or dry (a dry run that writes nothing).",
    ),
    "import.template.no_caption": (
        "在微信或企业微信中文件不能带说明：15 分钟内直接发送表格文件，就按导入处理（先试导入，确认后才写入）。",
        "On WeChat and WeCom a file has no caption: send the spreadsheet within 15 minutes and it is taken as the import (a dry run first; nothing is written until you confirm).",
    ),
    "import.template.no_file": (
        "⚠️ 微信公众号不能发送文件，所以这里收不到模板。自己做表格时第一行写这些列：{columns}（带 * 的至少填一项；阶段可填：{stages}）。在企业微信或 Telegram 中发送 /import 可得到模板文件；服务器上可运行 chatcrm import template -o 模板.xlsx。",
        "⚠️ A WeChat Official Account cannot send files, so the template cannot reach you here. To make the sheet yourself, put these columns in the first row: {columns} (fill at least one * column; stages: {stages}). Send /import on WeCom or Telegram for the template file, or run chatcrm import template -o template.xlsx on the server.",
    ),
    "import.template.sheet": ("导入", "Import"),
    "import.template.help_sheet": ("说明", "Instructions"),
    "import.template.column": ("列", "Column"),
    "import.template.meaning": ("说明", "Meaning"),
    "import.help.company": (
        "客户公司名称（与联系人至少填一项）",
        "The customer's company (this or Name is required)",
    ),
    "import.help.name": (
        "联系人姓名（与客户名称至少填一项）",
        "The contact's name (this or Company is required)",
    ),
    "import.help.title": ("职位", "Job title"),
    "import.help.phone": ("手机或电话，多个用逗号分隔", "Mobile or phone; several separated by commas"),
    "import.help.email": ("邮箱，多个用逗号分隔", "E-mail; several separated by commas"),
    "import.help.wechat": ("微信号", "WeChat id"),
    "import.help.address": ("地址", "Address"),
    "import.help.province": ("省", "Province"),
    "import.help.city": ("市", "City"),
    "import.help.district": ("区/县", "District"),
    "import.help.owner": (
        "负责人姓名（团队成员）；留空则分配给导入人或按区域分配",
        "Owner's name (a team member); empty: the importer, or by territory",
    ),
    "import.help.stage": ("阶段：{stages}", "Stage: {stages}"),
    "import.help.budget": ("预算金额（元），如 500000 或 50万", "Budget in CNY, e.g. 500000 or 50万"),
    "import.help.next_follow_up": (
        "下次跟进日期，如 2026-12-08 或 2026-12-08 15:00",
        "Next follow-up, e.g. 2026-12-08 or 2026-12-08 15:00",
    ),
    "import.help.notes": ("备注", "Notes"),
    "import.example.company": ("华为技术有限公司", "Acme Ltd."),
    "import.example.name": ("张伟", "John Smith"),
    "import.example.title": ("采购经理", "Purchasing manager"),
    "import.example.phone": ("13800138000", "+1 415 555 0100"),
    "import.example.email": ("zhangwei@example.com", "john@example.com"),
    "import.example.wechat": ("zhangwei_wx", "johnsmith"),
    "import.example.address": ("广东省深圳市龙岗区坂田华为基地", "1 Market St, San Francisco"),
    "import.example.province": ("广东", ""),
    "import.example.city": ("深圳", ""),
    "import.example.district": ("龙岗", ""),
    "import.example.notes": ("展会认识，关注价格", "Met at the trade fair; cares about price"),
    # export
    "export.unavailable": ("此服务器未启用导出。", "Export is not available on this server."),
    "export.done": (
        "📤 已导出{scope}：客户 {customers} · 联系人 {contacts} · 商机 {deals} · 跟进记录 {interactions}",
        "📤 Exported {scope}: customers {customers} · contacts {contacts} · deals {deals} · interactions {interactions}",
    ),
    "export.scope.team": ("团队的全部数据", "the team's records"),
    "export.scope.own": ("你负责的数据", "your own records"),
    "export.usage": (
        "用法：/export [客户|联系人|商机|跟进|全部]",
        "Usage: /export [customers|contacts|deals|interactions|all]",
    ),
    # WeChat Official Accounts have no file messages: what they say instead of the workbook.
    "export.no_file": (
        "⚠️ 微信公众号不能发送文件（客服消息没有文件类型），所以这里收不到导出的表格。请在企业微信或 Telegram 中发送 /export，或请管理员在服务器上运行 chatcrm export all -o 导出.xlsx。",
        "⚠️ A WeChat Official Account cannot send files (its customer-service messages have no file type), so the workbook cannot reach you here. Send /export on WeCom or Telegram, or ask an admin to run chatcrm export all -o export.xlsx on the server.",
    ),
}
