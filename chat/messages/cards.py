"""Messages of business-card capture: the contact card, doubtful fields, refusals with retake tips."""

from __future__ import annotations

_TIPS_ZH = "拍摄建议：光线充足、卡片铺平、对焦清晰，让名片占满大部分画面后重拍。"
_TIPS_EN = (
    "Tips: good light, card flat, in focus, and let the card fill most of the picture, then take it again."
)

MESSAGES: dict[str, tuple[str, str]] = {
    # the card
    "card.created": ("📇 名片已识别，新联系人已保存", "📇 Card read: new contact saved"),
    "card.updated.exact": (
        "📇 名片已识别：该联系人已存在（{reason}相同），已关联到原联系人并补充信息",
        "📇 Card read: this contact already exists (same {reason}); the card was attached to it and its details added",
    ),
    "card.updated": ("📇 名片已识别，已补充到已有联系人", "📇 Card read: added to an existing contact"),
    "card.sides": ("（正反两面）", " (front and back)"),
    "card.repeated": ("这张名片已经记录过了。", "This card was already captured."),
    "card.doubtful": (
        "⚠️ 标记的内容识别把握不大，请核对；点“修正”按钮直接改。",
        "⚠️ marks what I am unsure of: please check, and tap a “Fix” button to correct it.",
    ),
    "card.button.fix": ("✏️ 修正{field}", "✏️ Fix {field}"),
    "card.fix.prompt": (
        "请输入正确的{field}（名片上识别为“{value}”；15 分钟内有效，发送 /cancel 取消）：",
        "Type the correct {field} (the card read “{value}”; within 15 minutes, /cancel to stop):",
    ),
    "card.fixed": ("✏️ 已修正", "✏️ Corrected"),
    "card.several": (
        "这组照片里不止一张名片，逐张回复如下：",
        "These photos hold more than one card; one reply each:",
    ),
    "field.mobile": ("手机", "Mobile"),
    "field.fax": ("传真", "Fax"),
    "field.qq": ("QQ", "QQ"),
    "field.name": ("姓名", "Name"),
    # refusals (crm.errors.ImageRejected keys); nothing is stored for any of them
    "card.rejected.not_image": (
        "这个文件不是图片，无法识别名片。请直接发送名片照片（JPEG 或 PNG）。",
        "This file is not a picture, so I cannot read a card from it. Send a photo of the card (JPEG or PNG).",
    ),
    "card.rejected.too_large": (
        "图片太大了（上限 {limit} MB）。请直接用相机拍照发送，或压缩后再发。",
        "The picture is too large (the limit is {limit} MB). Send a camera photo, or a smaller copy.",
    ),
    "card.rejected.too_many_pixels": (
        "图片像素太多了（上限 {limit} 百万像素），没有打开它。请直接用相机拍照发送，或缩小尺寸后再发。",
        "The picture has too many pixels (the limit is {limit} megapixels), so it was not opened. Send a "
        "camera photo, or a smaller copy.",
    ),
    "card.rejected.blank": (
        "照片几乎是一片空白，没有看到文字。\n" + _TIPS_ZH,
        "The photo is almost blank: I see no text on it.\n" + _TIPS_EN,
    ),
    "card.rejected.unreadable": (
        "照片上的文字看不清，无法识别。\n" + _TIPS_ZH,
        "I cannot read the text on this photo.\n" + _TIPS_EN,
    ),
    "card.rejected.no_card": (
        "这张照片看起来不是名片：没有找到姓名、电话、邮箱或微信。没有保存任何内容。\n"
        "如果它是名片，请重拍。" + _TIPS_ZH,
        "This does not look like a business card: I found no name, phone, e-mail or WeChat. Nothing was saved.\n"
        "If it is a card, take it again. " + _TIPS_EN,
    ),
    "card.rejected.no_file": ("没有找到文件“{path}”。", "There is no file “{path}”."),
    "card.unavailable": (
        "名片识别目前不可用（服务器未安装 OCR）。照片没有保存，请联系管理员。",
        "Card reading is not available right now (no OCR on the server). Nothing was saved; tell your admin.",
    ),
    "card.usage": (
        "把名片拍照发给我（正反两面可以一起发），我会建成联系人。",
        "Send me a photo of a business card (front and back together if you like) and I make it a contact.",
    ),
    "card.console.usage": (
        "用法：/card 图片路径 [背面图片路径]",
        "Usage: /card IMAGE_PATH [BACK_IMAGE_PATH]",
    ),
}
