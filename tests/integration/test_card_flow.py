"""Card photos to contacts through the application, with real tesseract on generated cards and a real
SQLite file: the contact card, dedup, corrections, attach, undo, albums, refusals, idempotency."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.cards.view import DOUBTFUL_BELOW, MARK
from chat.views import Act, Reply
from crm.cards import FIX_FIELDS
from crm.errors import ImageRejected, InputRejected, StorageUnavailable
from crm.inputs import CardPhoto, ChatMessage, Photos
from crm.model import Member
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock, Team
from tests.support.card_flow import (
    BILINGUAL_CARD,
    EN_CARD,
    MAX_MB,
    ZH_CARD,
    MemoReader,
    card,
    card_app,
    count,
    nothing_stored,
    photo,
    picture,
)


@pytest.fixture
def kit(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> tuple[App, MemoReader]:
    return card_app(sqlite_engine, clock, extractor, tmp_path)


async def send(app: App, actor: Member, *photos: CardPhoto, caption: str | None = None) -> list[Reply]:
    return list((await app.photos(actor, Photos(tuple(photos), caption=caption))).items)


def buttons(reply: Reply, act: Act) -> dict[str, int]:
    return {b.arg: b.target for b in reply.all_buttons() if b.act is act}


async def interactions(engine: AsyncEngine) -> list[dict[str, object]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(t.interactions).order_by(t.interactions.c.id))
        return [dict(row) for row in rows.mappings()]


async def test_a_card_photo_becomes_a_contact_with_its_photo_and_confidence_marks(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    app, _ = kit
    truth = card(ZH_CARD).truth
    [reply] = await send(app, team.rep, CardPhoto.of(photo(ZH_CARD), key="tg:3:10", name="photo.jpg"))

    assert reply.text.startswith("📇 名片已识别，新联系人已保存")
    [stored] = await interactions(sqlite_engine)
    assert stored["source"] == "card" and stored["external_key"] == "tg:3:10"
    facts = stored["facts"]
    assert isinstance(facts, dict) and facts["files"] == [stored["file_id"]]
    read = facts["card"]  # what OCR and the parser made of it (their accuracy is bench_cards' business)
    assert read["mobile"] == truth.mobile and read["emails"] == list(truth.emails)
    assert "+86 151 8233 0252" in reply.text  # the mobile, formatted
    assert read["name"] in reply.text and read["company"] in reply.text
    assert read["name"] in str(stored["content"])  # the OCR text is kept verbatim
    async with sqlite_engine.connect() as conn:
        contact = (await conn.execute(select(t.contacts))).mappings().one()
        file = (await conn.execute(select(t.files))).mappings().one()
    assert contact["name"] == read["name"] and truth.mobile in contact["phones"]
    assert file["mime"] == "image/jpeg" and (tmp_path / "files" / file["path"]).read_bytes() == photo(ZH_CARD)

    # Each field read with low confidence carries the mark, and the least sure ones a fix button.
    confidence = facts["card"]["confidence"]
    doubtful = {name for name, value in confidence.items() if value < DOUBTFUL_BELOW}
    fixes = buttons(reply, Act.CARD_FIX)
    assert set(fixes) <= doubtful and len(fixes) == min(3, len(doubtful & set(FIX_FIELDS)))
    assert all(target == stored["id"] for target in fixes.values())
    for name in doubtful:
        value = facts["card"][name]
        shown = value[0] if isinstance(value, list) else value
        if name not in ("mobile", "phones", "fax"):
            assert f"{shown}{MARK}" in reply.text
    assert ("请核对" in reply.text) == bool(doubtful)
    assert {b.act for b in reply.all_buttons()} >= {Act.CONFIRM, Act.EDIT_MENU, Act.ATTACH_MENU}


async def test_front_and_back_sent_together_make_one_contact(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, reader = kit
    front, back = photo(BILINGUAL_CARD, 0), photo(BILINGUAL_CARD, 1)
    [reply] = await send(app, team.rep, CardPhoto.of(front, key="tg:3:20"), CardPhoto.of(back, key="tg:3:21"))

    truth = card(BILINGUAL_CARD).truth
    assert "（正反两面）" in reply.text
    assert len(reader.calls) == 2
    assert await count(sqlite_engine, t.contacts) == 1
    assert await count(sqlite_engine, t.files) == 2
    [stored] = await interactions(sqlite_engine)
    facts = stored["facts"]
    assert isinstance(facts, dict) and len(facts["files"]) == 2 and stored["file_id"] == facts["files"][0]
    async with sqlite_engine.connect() as conn:
        contact = (await conn.execute(select(t.contacts))).mappings().one()
    assert contact["phones"][0] == truth.mobile
    assert contact["qq"] == facts["card"]["qq"] == truth.qq  # kept on the contact, though Facts has no QQ
    assert f"QQ：{truth.qq}" in reply.text


async def test_two_different_cards_in_one_album_make_two_contacts(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, _ = kit
    replies = await send(
        app, team.rep, CardPhoto.of(photo(ZH_CARD), key="a:1"), CardPhoto.of(photo(EN_CARD), key="a:2")
    )
    assert replies[0].text == "这组照片里不止一张名片，逐张回复如下："
    assert [r.text.splitlines()[0] for r in replies[1:]] == ["📇 名片已识别，新联系人已保存"] * 2
    assert await count(sqlite_engine, t.contacts) == 2


async def test_the_same_phone_attaches_the_card_to_the_existing_contact(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, _ = kit
    truth = card(ZH_CARD).truth
    assert truth.mobile is not None
    local = truth.mobile.removeprefix("+86")
    await app.chat(team.rep, [ChatMessage(f"梁总 {local} 下周想看演示", sender="梁总")])
    assert await count(sqlite_engine, t.contacts) == 1

    [reply] = await send(app, team.rep, CardPhoto.of(photo(ZH_CARD)))

    assert (
        reply.text.splitlines()[0] == "📇 名片已识别：该联系人已存在（电话相同），已关联到原联系人并补充信息"
    )
    assert await count(sqlite_engine, t.contacts) == 1
    async with sqlite_engine.connect() as conn:
        contact = (await conn.execute(select(t.contacts))).mappings().one()
    assert truth.emails[0] in contact["emails"]  # the card's details were added to the contact


async def test_a_doubtful_field_is_fixed_by_a_tap_and_the_typed_value(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, _ = kit
    [reply] = await send(app, team.rep, CardPhoto.of(photo(ZH_CARD)))
    capture = next(b.target for b in reply.all_buttons() if b.act is Act.CONFIRM)
    old_mobile = card(ZH_CARD).truth.mobile

    prompt = await app.press(team.rep, Act.CARD_FIX, capture, "mobile")
    assert "请输入正确的手机" in prompt.text
    with pytest.raises(InputRejected):  # not a number: the question stays open
        await app.text(team.rep, "不知道")
    fixed = await app.text(team.rep, "13700001111")
    assert fixed.text.startswith("✏️ 已修正")
    assert "+86 137 0000 1111" in fixed.text

    await app.press(team.rep, Act.CARD_FIX, capture, "name")
    fixed = await app.text(team.rep, "梁晨")
    assert "👤 联系人：梁晨 · " in fixed.text  # the corrected name, no longer marked
    assert "name" not in buttons(fixed, Act.CARD_FIX)
    async with sqlite_engine.connect() as conn:
        contact = (await conn.execute(select(t.contacts))).mappings().one()
    # The misread number is replaced, not kept beside the right one.
    assert contact["phones"][0] == "+8613700001111" and old_mobile not in contact["phones"]
    assert contact["name"] == "梁晨"
    assert await count(sqlite_engine, t.interactions) == 1  # the typed answers were not captured


async def test_attach_to_a_customer_and_undo(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, _ = kit
    await app.chat(team.rep, [ChatMessage("我是远航物流有限公司的王芳，13911112222", sender="王芳")])
    [reply] = await send(app, team.rep, CardPhoto.of(photo(EN_CARD)))
    capture = next(b.target for b in reply.all_buttons() if b.act is Act.ATTACH_MENU)

    menu = await app.press(team.rep, Act.ATTACH_MENU, capture, "")
    target = next(b for b in menu.all_buttons() if b.label == "远航物流有限公司")
    attached = await app.press(team.rep, target.act, target.target, target.arg)
    assert "🏢 客户：远航物流有限公司" in attached.text
    async with sqlite_engine.connect() as conn:
        customer = (
            await conn.execute(select(t.customers.c.id).where(t.customers.c.name == "远航物流有限公司"))
        ).scalar_one()
        contact_id = (
            await conn.execute(select(t.interactions.c.contact_id).where(t.interactions.c.id == capture))
        ).scalar_one()
        moved = (await conn.execute(select(t.contacts).where(t.contacts.c.id == contact_id))).mappings().one()
    assert moved["customer_id"] == customer and moved["name"] not in (None, "王芳")

    undone = await app.command(team.rep, "undo", "")
    assert "已撤销" in undone.text
    async with sqlite_engine.connect() as conn:
        undone_at = (
            await conn.execute(select(t.interactions.c.undone_at).where(t.interactions.c.id == capture))
        ).scalar_one()
    assert undone_at is not None


async def test_the_same_message_twice_is_one_capture_and_read_once(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, reader = kit
    first = await send(app, team.rep, CardPhoto.of(photo(ZH_CARD), key="tg:3:99"))
    again = await send(app, team.rep, CardPhoto.of(photo(ZH_CARD), key="tg:3:99"))
    assert first[0].text.startswith("📇")
    assert [r.text for r in again] == ["这张名片已经记录过了。"]
    assert len(reader.calls) == 1
    assert await count(sqlite_engine, t.interactions) == 1


class Fetches:
    """Records whether a photo was downloaded."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.count = 0

    async def __call__(self) -> bytes:
        self.count += 1
        return self.data


@pytest.mark.parametrize(
    ("name", "data", "key", "ocr_runs"),
    [
        ("random.jpg", bytes(range(256)) * 40, "card.rejected.not_image", 0),
        ("notes.txt", "张伟 13812345678 华为".encode() * 50, "card.rejected.not_image", 0),
        ("white.jpg", picture("white"), "card.rejected.blank", 1),
        ("noise.jpg", picture("noise"), "card.rejected.unreadable", 1),
        ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(MAX_MB * 1024 * 1024), "card.rejected.too_large", 0),
    ],
)
async def test_bad_photos_are_refused_and_nothing_is_stored(
    kit: tuple[App, MemoReader],
    team: Team,
    sqlite_engine: AsyncEngine,
    tmp_path: Path,
    name: str,
    data: bytes,
    key: str,
    ocr_runs: int,
) -> None:
    app, reader = kit
    with pytest.raises(ImageRejected) as refused:
        await send(app, team.rep, CardPhoto(fetch=Fetches(data), key="tg:3:7", name=name))
    assert refused.value.key == key
    assert len(reader.calls) == ocr_runs
    assert await nothing_stored(sqlite_engine, tmp_path)
    text = app.error(team.rep.lang, refused.value).text
    if key in ("card.rejected.blank", "card.rejected.unreadable"):
        assert "光线充足、卡片铺平、对焦清晰" in text  # retake tips
    if key == "card.rejected.too_large":
        assert f"{MAX_MB} MB" in text


async def test_an_oversize_photo_is_not_even_downloaded(kit: tuple[App, MemoReader], team: Team) -> None:
    app, _ = kit
    fetch = Fetches(b"")
    with pytest.raises(ImageRejected, match="too_large"):
        await send(app, team.rep, CardPhoto(fetch=fetch, size=MAX_MB * 1024 * 1024 + 1))
    assert fetch.count == 0


async def test_a_picture_with_text_but_no_person_is_no_card(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    image = Image.new("RGB", (1200, 500), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 48)
    ImageDraw.Draw(image).text((60, 180), "Annual Sales Report 2026", fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    app, _ = kit
    with pytest.raises(ImageRejected) as refused:
        await send(app, team.rep, CardPhoto.of(buffer.getvalue()))
    assert refused.value.key == "card.rejected.no_card"
    assert await nothing_stored(sqlite_engine, tmp_path)


async def test_a_database_failure_keeps_the_card_for_a_retry_without_reading_it_again(
    kit: tuple[App, MemoReader], team: Team, sqlite_engine: AsyncEngine
) -> None:
    app, reader = kit
    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE interactions RENAME TO interactions_away")
    with pytest.raises(StorageUnavailable) as caught:
        await send(app, team.rep, CardPhoto.of(photo(ZH_CARD), key="tg:3:50"))
    token = caught.value.retry_token
    assert token and await count(sqlite_engine, t.contacts) == 0

    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE interactions_away RENAME TO interactions")
    retried = await app.press(team.rep, Act.RETRY, 0, token)
    assert "新线索" in retried.text or "名片" in retried.text
    assert len(reader.calls) == 1  # the kept card was stored, not read again
    [stored] = await interactions(sqlite_engine)
    assert (
        stored["source"] == "card" and stored["file_id"] is not None and stored["external_key"] == "tg:3:50"
    )
    assert await count(sqlite_engine, t.contacts) == 1
