"""Messages of voice notes and visit minutes: progress, refusals, the minutes card and its buttons."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # while working
    "voice.status.queued": (
        "🎙 已收到语音（{length}），排队转写中，前面还有 {ahead} 条…",
        "🎙 Voice note received ({length}); queued behind {ahead} other(s)…",
    ),
    "voice.status.progress": ("🎙 正在转写… {percent}%", "🎙 Transcribing… {percent}%"),
    "voice.status.minutes": ("🧠 正在整理纪要…", "🧠 Writing up the minutes…"),
    "voice.length.seconds": ("{seconds} 秒", "{seconds} s"),
    "voice.length.minutes": ("{minutes} 分 {seconds} 秒", "{minutes} min {seconds} s"),
    # refusals (crm.errors.AudioRejected keys)
    "voice.rejected.empty": (
        "这条语音是空的，没有录到内容。请重新录一遍。",
        "This voice note is empty. Please record it again.",
    ),
    "voice.rejected.not_audio": (
        "这个文件打不开：可能已损坏，或者不是音频。请发送语音消息、音频文件或视频消息。",
        "I cannot open this file: it is damaged or not audio. Send a voice message, an audio file or a video note.",
    ),
    "voice.rejected.silent": (
        "这条语音里没有听到说话声。请靠近话筒重新录一遍。",
        "I hear no speech in this voice note. Please record it again closer to the microphone.",
    ),
    "voice.rejected.too_long": (
        "语音太长了，请控制在{limit}分钟以内（可以分几段发送）。",
        "This recording is too long: please keep voice notes under {limit} minutes (send it in parts).",
    ),
    "voice.rejected.too_large": (
        "文件太大了（上限 {limit} MB）。请发送语音消息，或压缩、分段后再发。",
        "The file is too large (the limit is {limit} MB). Send a voice message, or compress or split it.",
    ),
    "voice.rejected.no_file": (
        "没有找到文件“{path}”。",
        "There is no file “{path}”.",
    ),
    "voice.usage": (
        "用法：/voice 文件路径（服务器上的语音或音频文件）",
        "Usage: /voice PATH (a voice or audio file on this server)",
    ),
    # kept, but not transcribed
    "voice.failed": (
        "⚠️ 转写没有成功，但录音已经保存，不会丢失。请稍后点「重新转写」。",
        "⚠️ Transcription failed, but the recording is saved and will not be lost. Tap “Transcribe again” in a moment.",
    ),
    "voice.unavailable": (
        "⚠️ 这台服务器暂时不能识别语音。录音已经保存，语音识别恢复后可点「重新转写」。",
        "⚠️ Speech recognition is not available on this server right now. The recording is saved; "
        "tap “Transcribe again” once it is back.",
    ),
    "voice.no_storage": (
        "⚠️ 这台服务器没有配置文件存储，暂时不能接收语音。",
        "⚠️ This server has no file storage configured, so it cannot take voice notes yet.",
    ),
    "voice.storage_unavailable": (
        "⚠️ 暂时无法保存（数据库繁忙）。录音已保留在服务器上，请稍后点「重新转写」。",
        "⚠️ Not saved right now (the database is busy). The recording is kept on the server; "
        "tap “Transcribe again” in a moment.",
    ),
    "voice.pending": (
        "🎙 这条语音正在转写，请稍候，完成后会发给你纪要。",
        "🎙 This voice note is being transcribed; the minutes follow when it is done.",
    ),
    "voice.retry_gone": (
        "这条语音已经处理过了，或者已被删除。",
        "This voice note was already processed, or it was discarded.",
    ),
    # the minutes card
    "minutes.title": ("🎙 拜访纪要", "🎙 Visit minutes"),
    "minutes.title.repeated": (
        "🎙 拜访纪要（这条语音之前已处理过）",
        "🎙 Visit minutes (this voice note was processed before)",
    ),
    "minutes.title.customer_set": (
        "🎙 拜访纪要 · 已改为「{customer}」",
        "🎙 Visit minutes · moved to “{customer}”",
    ),
    "minutes.title.edited": ("🎙 拜访纪要 · 已更新", "🎙 Visit minutes · updated"),
    "minutes.new_customer": ("（新客户）", " (new customer)"),
    "minutes.no_customer": ("❓ 还没有关联客户", "❓ No customer yet"),
    "minutes.ask": (
        "❓ 这是哪位客户的拜访？请在下面选择（纪要和提醒已保存）：",
        "❓ Which customer was this visit with? Choose below (the minutes and reminders are saved):",
    ),
    "minutes.summary": ("📝 摘要：{text}", "📝 Summary: {text}"),
    "minutes.decision_makers": ("决策链", "Decision makers"),
    "minutes.commitments": ("🤝 承诺：", "🤝 Commitments:"),
    "minutes.todos": ("☑️ 待办：", "☑️ To-dos:"),
    "minutes.transcript": ("💬 原文：{text}", "💬 Transcript: {text}"),
    "minutes.audio": ("🎧 {length} · {language}", "🎧 {length} · {language}"),
    "minutes.nothing": (
        "（没有识别出预算、时间或承诺等信息）",
        "(no budget, dates or commitments recognised)",
    ),
    "minutes.language.zh": ("中文", "Chinese"),
    "minutes.language.en": ("英文", "English"),
    "decision_role.decision_maker": ("拍板人", "decision maker"),
    "decision_role.procurement": ("采购", "procurement"),
    "decision_role.technical": ("技术", "technical"),
    "decision_role.finance": ("财务", "finance"),
    "decision_role.user": ("使用部门", "user"),
    # buttons
    "button.minutes.customer": ("🏢 换客户", "🏢 Change customer"),
    "button.minutes.edit": ("✏️ 修改", "✏️ Edit"),
    "button.minutes.discard": ("🗑 删除纪要", "🗑 Discard"),
    "button.minutes.new_customer": ("➕ 新客户", "➕ New customer"),
    "button.voice.retry": ("🔁 重新转写", "🔁 Transcribe again"),
    # what the buttons answer
    "minutes.choose_customer": (
        "这次拜访的是哪位客户？也可以点「新客户」。",
        "Which customer was this visit with? Or tap “New customer”.",
    ),
    "minutes.customer_prompt": (
        "请输入新客户的名称（15 分钟内有效，发送 /cancel 取消）：",
        "Type the new customer's name (within 15 minutes; /cancel to stop):",
    ),
    "minutes.discarded": (
        "🗑 纪要已删除，相关提醒已取消。录音仍然保留。",
        "🗑 Minutes discarded and their reminders cancelled. The recording is kept.",
    ),
    "minutes.already_discarded": ("这份纪要已经删除了。", "These minutes were already discarded."),
    "minutes.edit.choose": ("要修改纪要的哪一项？", "Which part of the minutes do you want to correct?"),
    "minutes.edit.prompt": (
        "请输入新的{field}（15 分钟内有效，发送 /cancel 取消）：",
        "Type the new {field} (within 15 minutes; /cancel to stop):",
    ),
    "minutes.edit.bad_time": (
        "没看懂“{value}”是什么时间，例如：周四下午3点、12月2日 10:00。",
        "I could not read “{value}” as a time, e.g. Thursday 3pm or Dec 2 10:00.",
    ),
    "field.summary": ("摘要", "Summary"),
    # team vocabulary for the transcriber
    "terms.show": (
        "语音识别的产品词表（让转写按这些写法输出）：\n{terms}\n\n经理可用 /terms 词1，词2，… 修改。",
        "Product terms for speech recognition (transcripts spell them this way):\n{terms}\n\n"
        "Managers change them with /terms term1, term2, …",
    ),
    "terms.none": ("（还没有）", "(none yet)"),
    "terms.set": ("✅ 已更新产品词表（{count} 个）。", "✅ Product terms updated ({count})."),
    "terms.too_many": (
        "词表太长了（最多 {limit} 个词）。",
        "Too many terms (at most {limit}).",
    ),
}
