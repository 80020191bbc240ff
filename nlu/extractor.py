"""The text -> Facts extractor for forwarded chats, pasted WeChat chats and dictated visit notes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import phonenumbers

from crm.facts import CardFacts, CommitmentFact, Facts, PersonMention, Region, ReminderFact, TodoFact
from crm.ports import OcrPage
from nlu import actions, contact, jio, money, names, patterns, people, region
from nlu.company import find_companies
from nlu.contactline import LineContact, find_contact
from nlu.dialogue import Clause, Dialogue, Side, normalize, parse
from nlu.keywords import find_keywords
from nlu.phones import DEFAULT_REGION, find_phones
from nlu.timeexpr import find_times
from nlu.timemodel import TimeMention

# Written Cantonese (in the text as written, before it is read as Mandarin) and Hong Kong's names.
_CANTONESE = re.compile(r"[係嘅喺哋佢咗唔冇嚟睇啲搵]|聽日|听日|下晝|下昼")
_HONG_KONG = re.compile(
    r"香港|\bHK\b|Hong\s*Kong|\+852|九龍|九龙|新界|港島|港岛|觀塘|观塘|旺角|尖沙咀|銅鑼灣|铜锣湾|中環|中环|灣仔|湾仔|荃灣|"
    r"荃湾|沙田|葵涌|將軍澳|将军澳|元朗|大埔|長沙灣|长沙湾|Kowloon|Tsim\s+Sha\s+Tsui|Kwun\s+Tong|Mong\s+Kok",
    re.IGNORECASE,
)
_TAIWAN = re.compile(
    r"台灣|臺灣|台湾|台北|臺北|新北|台中|臺中|台南|臺南|高雄|新竹|桃園|桃园|基隆|嘉義|嘉义|宜蘭|宜兰|彰化|屏東|屏东|花蓮|花莲|"
    r"新台幣|新台币|台幣|台币|\bTWD\b|\+886|\b09\d{2}-\d{3}-\d{3}\b|Taiwan|Taipei",
    re.IGNORECASE,
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_LOCALES = (
    (
        "US",
        re.compile(
            r"\b(?:USA?|United States|California|Texas|New York|NYC|Florida|Arizona|Wisconsin|Illinois|"
            r"Chicago|Boston|Austin|Houston|Dallas|Phoenix|Seattle|Denver|Atlanta|Miami|San Francisco|"
            r"Los Angeles|Central|Eastern|Pacific|PT|ET|CT)\b|\(\d{3}\)\s?\d{3}[-. ]\d{4}|"
            r"(?<![\d+])\d{3}[-. ]\d{3}[-. ]\d{4}(?!\d)"
        ),
    ),
    ("GB", re.compile(r"\b(?:UK|United Kingdom|London|Manchester|Leeds|Birmingham|Glasgow|GBP|pounds?)\b|£")),
    ("AU", re.compile(r"\b(?:Australia|Sydney|Melbourne|Brisbane|Perth|AUD)\b")),
    ("SG", re.compile(r"\b(?:Singapore|SGD|SGT)\b|\bS\$|\.sg\b")),
    (
        "IN",
        re.compile(
            r"\b(?:India|Mumbai|Delhi|Bangalore|Bengaluru|Pune|Chennai|Kochi|Hyderabad|Ahmedabad|Kolkata|Indore|"
            r"Coimbatore|INR|crores?|lakhs?|IST|Rs)\b|₹"
        ),
    ),
)
_CURRENCY_LOCALES = (
    ("SG", re.compile(r"\bSGD\b|\bS\$|\.sg\b|新加坡|\+65\b")),
    ("IN", re.compile(r"\bINR\b|₹|\blakhs?\b|\bcrores?\b|\.in\b|印度|\+91\b")),
    ("MY", re.compile(r"\bMYR\b|\bringgit\b|\.my\b|马来西亚|馬來西亞|\+60\b")),
)
_TRADITIONAL_CHARACTERS = 5
_HOME = {"HK": "香港特别行政区", "TW": "台湾省"}
_HOME_NAME = {"HK": "香港", "TW": "台湾"}
_NUMBER_LABEL = re.compile(r"\+?[\d\s()-]{7,20}")
# "电话 139… 微信同号": the WeChat id is the mobile number.
_SAME_WECHAT = re.compile(
    r"微信同号|同微信|微信同手机|微信也是这个|微信是手机号|wechat\s+(?:is\s+)?(?:the\s+)?same", re.I
)
_WARM_UP_TEXT = (
    "張偉: 我是华为的张伟，采购经理，我们在上海浦东，预算50万，需要CRM，下周三下午3点开会，电话13812345678\n"
    "Me: we'll send the quote by Friday, remind me tomorrow 10am to call Li, zhang@example.com"
)
_SUMMARY_LIMIT = 120
_LONG_DIGITS = re.compile(r"\d{40,}")
# The end of a street name, right before a number that the time parser could take for a day.
_HOUSE_NUMBER = re.compile(r"(?:路|街|道|巷|弄|大道|[一二三四五六七八九十\d]+路|段)\s*$")
_DATE_NUMBER = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[号日]")
# Ways of talking about what a customer will spend that the budget words do not cover.
_MONEY_TALK = re.compile(
    r"钱不多|钱的话|价位|心理价|能出|出多少|花多少|一两万|万块钱|(?:万|千|块|元|w|k)\s*(?:以内|以下|之内|左右|上下)|"
    r"price\s+range|\bspend\b",
    re.IGNORECASE,
)
_CNY = re.compile(r"人民币|RMB|CNY|¥|元(?!旦)|块钱?", re.IGNORECASE)
_FOREIGN_CURRENCY = re.compile(
    r"US\$|\$|USD|美元|美金|dollars?|bucks|EUR|€|euros?|欧元|GBP|£|pounds?|英镑|HKD|HK\$|港币|港元|港纸|蚊|"
    r"TWD|NT\$|台币|新台币|SGD|S\$|AUD|A\$|INR|₹|rupees?|crore|lakh|RUB|rubles?|roubles?|AED|dirhams?|KES|JPY|日元|円|"
    r"KRW|韩元|MYR|ringgit|THB|baht|CAD|C\$|CHF|BRL|R\$|reais|NZD|ZAR|rand|MXN|pesos?|IDR|rupiah|VND|PHP|"
    r"SAR|riyals?|QAR|TRY|lira|PLN|zloty|SEK|NOK|DKK|kronor|krona|kroner",
    re.IGNORECASE,
)
_OURS = re.compile(r"我方|我司")
_PER_UNIT = re.compile(
    r"每(?:台|个|套|件|人|年|月)|单价|per\s+(?:unit|seat|user|licen[cs]e|month)|\beach\b", re.I
)
_ASKS = re.compile(r"多少|多大|几多|怎么样|range|how\s+much|what|\?|吗|呢", re.IGNORECASE)
_WEEKDAY_ONLY = re.compile(
    r"(?:周|星期|礼拜)[一二三四五六日天](?:上午|下午|早上|晚上|中午)?.{0,6}|"
    r"(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)(?:day)?,?(?:\s+(?:at\s+)?[\d:apm\s]+)?",
    re.IGNORECASE,
)
_DAY_WORDS = re.compile(
    r"[日天号周月年]|礼拜|星期|今|明|后|昨|today|tonight|tomorrow|tmrw|tmr|mon|tue|wed|thu|fri|sat|sun|next|this|"
    r"\d+[/.-]\d+",
    re.IGNORECASE,
)
_END_OF_DAY = 18
# A reply this short right after someone proposed a meeting ("周四下午吧", "Friday 10am is fine")
# is taken to name the meeting's time even without a meeting word.
_SHORT_REPLY = 50


@dataclass(frozen=True, slots=True)
class _Actions:
    meeting: datetime | None
    timeline: str | None
    timeline_by: date | None
    commitments: tuple[CommitmentFact, ...]
    todos: tuple[TodoFact, ...]
    reminders: tuple[ReminderFact, ...]


class Extractor:
    """nlu's `crm.ports.FactExtractor`: pure functions of (text, now), `now` aware in the rep's timezone.

    How times resolve: a day without a clock time is 09:00 (上午/morning 09:00, 中午 12:00, 下午/afternoon
    14:00, 晚上/evening 19:00); "3点" without 上午/下午 is 15:00 (1-6 o'clock are afternoon hours in
    business talk); a date already past that names no year or week (3号, 周一, 3月, Q3, 元旦) is its next
    occurrence; a deadline (周五前, by Friday) is due at 09:00 on its day, a span (下周) on its last working
    day, "today" after 09:00 at 18:00. `timeline_by` is the end of the span: 下个月 -> the last day of next
    month, Q3 -> 30 September (of next year once this year's Q3 is over), 年底 -> 31 December.
    """

    def warm_up(self) -> None:
        """Load jionlp, the word lists and libphonenumber's metadata now rather than on the first message."""
        jio.warm_up()
        names.warm_up()
        self.minutes(_WARM_UP_TEXT, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def chat(self, text: str, now: datetime) -> Facts:
        return self._extract(text, now, minutes=False)

    def minutes(self, transcript: str, now: datetime) -> Facts:
        return self._extract(transcript, now, minutes=True)

    def card(self, pages: Sequence[OcrPage]) -> CardFacts:
        # Imported here: the card parser and its vocabulary load only when a card is read.
        from nlu.card import parse_card

        facts: CardFacts = parse_card(pages)
        return facts

    def when(self, text: str, now: datetime) -> datetime | None:
        """The moment a typed answer names ("明天下午3点", "周五", "in 2 hours"), for a reminder."""
        found = find_times(text, now)
        return found[0].moment() if found else None

    def _extract(self, text: str, now: datetime, *, minutes: bool) -> Facts:
        dialogue = parse(text, now)
        # What our rep writes gives their own number, e-mail and WeChat, never the customer's.
        contact_text = "\n".join(m.text for m in dialogue.messages if m.side is not Side.REP)
        customer_text = "\n".join(m.text for m in dialogue.messages if m.side is not Side.REP)
        mentions = _mentions(dialogue.clauses)
        line = find_contact([m.text for m in dialogue.messages if m.side is not Side.REP])
        person = contact.find(dialogue, mentions, notes_by_rep=minutes)
        name, title, company = person.name, person.title, person.company
        address = region.find_address(_not_address(customer_text)) or region.find_address(
            _not_address(dialogue.text)
        )
        locale = _locale(dialogue)
        # A chat typed in traditional characters with no other cue is most likely from Taiwan: its
        # money and, when it names no place, its region (not a voice note: speech recognition writes
        # Mandarin in traditional characters too).
        taiwanese = locale == DEFAULT_REGION and not minutes and _traditional(dialogue)
        # Display names say where too ("苏州-恒力纺织-季").
        speakers = (m.speaker for m in dialogue.messages if m.side is Side.CUSTOMER and m.speaker)
        labels = "\n".join(dict.fromkeys(speakers))
        place_text = f"{customer_text}\n{labels}" if labels else customer_text
        found_region = _region(locale, address, place_text, normalize(company) if company else None)
        if found_region is None:
            found_region = _landline_region(contact_text, "TW" if taiwanese else locale)
        if found_region is None:
            # The rep asking "是太原那两家吗" and the customer saying yes.
            found_region = region.find_region([dialogue.text])
        if found_region is None and taiwanese:
            found_region = region.find_region([_HOME_NAME["TW"]])
        budget = _budget(dialogue.clauses, "TW" if taiwanese else locale)
        done = _actions(dialogue, now)
        # Traditional characters without Cantonese are most likely Taiwan's numbers (but not its
        # currency: speech recognition writes Mandarin in traditional characters too).
        dialing = "TW" if locale == DEFAULT_REGION and _traditional(dialogue) else locale
        phones = _phones(contact_text, _speaker_phones(dialogue), dialing)
        wechat_ids = patterns.find_wechat_ids(contact_text)
        if not wechat_ids and _SAME_WECHAT.search(contact_text):
            wechat_ids = [p.removeprefix("+86") for p in phones if p.startswith("+861")][:1]
        websites = patterns.find_websites(contact_text)
        return Facts(
            name=name,
            title=title,
            company=company,
            phones=phones,
            emails=tuple(patterns.find_emails(contact_text)),
            wechat_id=wechat_ids[0] if wechat_ids else None,
            address=address,
            region=found_region,
            website=websites[0] if websites else None,
            budget_cny=budget.high if budget else None,
            budget_min_cny=budget.low if budget else None,
            budget=budget.money() if budget else None,
            timeline=done.timeline,
            timeline_by=done.timeline_by,
            next_meeting=done.meeting,
            needs=tuple(dict.fromkeys(need for clause in dialogue.clauses for need in actions.needs(clause))),
            keywords=tuple(find_keywords(dialogue.text)),
            commitments=done.commitments,
            todos=done.todos,
            reminders=done.reminders,
            people=_people(mentions, line) if minutes else (),
            summary=_summary(dialogue) if minutes else None,
        )


def _not_address(text: str) -> str:
    """`text` without what only looks like part of an address: a date's "7号" is no house number, and a
    run of digits longer than any address is noise that street patterns would rescan from every position."""
    return _DATE_NUMBER.sub(" ", _LONG_DIGITS.sub(" ", text))


def _locale(dialogue: Dialogue) -> str:
    """Where the customer is, as a phone region: numbers written without a country code are read as
    Hong Kong's in a Cantonese chat or one that names Hong Kong, as Taiwan's in a Taiwanese one."""
    original = dialogue.original or dialogue.text
    if _HONG_KONG.search(original) or _CANTONESE.search(original):
        return "HK"
    if _TAIWAN.search(original):
        return "TW"
    if not _HAN.search(original):
        # An English chat: numbers in a national format belong to the country the chat points at.
        for country, cues in _ENGLISH_LOCALES:
            if cues.search(original):
                return country
    for country, cues in _CURRENCY_LOCALES:
        # A Chinese chat in another country's money or web domain ("SGD 30k 左右", ".com.sg").
        if cues.search(original):
            return country
    return DEFAULT_REGION


def _traditional(dialogue: Dialogue) -> bool:
    """Whether the chat is written in traditional characters (a handful differ from their simplified form)."""
    pairs = zip(dialogue.original, dialogue.text, strict=False)
    return sum(1 for a, b in pairs if a != b and _HAN.match(a)) >= _TRADITIONAL_CHARACTERS


def _phones(text: str, labels: Sequence[str], locale: str) -> tuple[str, ...]:
    """Phone numbers in the customer's lines (and display names that are numbers): in the customer's
    own numbering first, then mainland numbers the local plan does not read."""
    found = find_phones("\n".join((*labels, text)), locale)
    if locale != DEFAULT_REGION:
        taken = [(m.start, m.end) for m in found]
        found += [
            m
            for m in find_phones("\n".join((*labels, text)))
            if all(m.end <= start or end <= m.start for start, end in taken)
        ]
        found.sort(key=lambda m: m.start)
    return tuple(dict.fromkeys(m.e164 for m in found))


def _speaker_phones(dialogue: Dialogue) -> list[str]:
    """WhatsApp shows a customer not in the address book by number: "+852 5123 8899"."""
    labels = {m.speaker for m in dialogue.messages if m.side is Side.CUSTOMER and m.speaker}
    return sorted(label for label in labels if _NUMBER_LABEL.fullmatch(label))


def _region(locale: str, address: str | None, text: str, company: str | None) -> Region | None:
    """The customer's region: from the address, else the chat; when the company's name or the line it
    is said in places it elsewhere ("太原的晋商物流" in a chat about a trip to Shanghai), there. In a Hong
    Kong or Taiwan chat that names no place there, the territory."""
    found = region.find_region([t for t in (address, text) if t])
    if company and address is None:
        lines = [line for line in text.split("\n") if company in line][:1]
        own = region.find_region([company, *lines])
        if own is not None and (found is None or _elsewhere(own, found)):
            found = own
    home = _HOME.get(locale)
    if home is None or (found is not None and found.province == home):
        return found
    return region.find_region([_HOME_NAME[locale]])


def _landline_region(text: str, locale: str) -> Region | None:
    """Where a landline's area code is (027 is Wuhan), from libphonenumber's offline geocoder: a
    company's fixed line is where the company is; a mobile number says only where it was bought."""
    # Imported here: the geocoder's tables take half a second to load and most chats have no landline.
    from phonenumbers import geocoder

    for match in find_phones(text, locale):
        number = phonenumbers.parse(match.base)
        if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.FIXED_LINE:
            continue
        place = geocoder.description_for_number(number, "zh")
        found = region.find_region([place]) if place else None
        if found is not None:
            return found
    return None


def _elsewhere(own: Region, found: Region) -> bool:
    """Whether two regions name different places (not one inside the other)."""
    if own.province != found.province:
        return True
    return bool(own.city and found.city and own.city != found.city)


def _mentions(clauses: Sequence[Clause]) -> list[tuple[Clause, people.Mention]]:
    """People in each clause; "他/她" and a bare title ("张伟，采购经理") refer to the person just named."""
    found: list[tuple[Clause, people.Mention]] = []
    for clause in clauses:
        last = found[-1] if found else None
        antecedent = last[1].name if last and last[0].message >= clause.message - 1 else None
        in_clause = people.find_mentions(clause.text, antecedent=antecedent)
        if not in_clause and last and last[0].message == clause.message and not last[1].title:
            title = re.fullmatch(
                rf"(?:是|做|任)?(?P<title>{people.TITLE_ZH})|(?:the\s+)?(?P<en>{people.EN_TITLE})(?:\s+(?:at|of|from)\s.+)?",
                clause.text,
            )
            if title:
                found[-1] = (last[0], people.with_title(last[1], title["title"] or title["en"]))
                continue
        found.extend((clause, mention) for mention in in_clause)
    return found


def _budget(clauses: Sequence[Clause], locale: str = DEFAULT_REGION) -> money.Amount | None:
    """The last budget said; a cue in one clause carries to the next clause of the same message, and
    the rep asking for the budget ("预算大概多少？", "may I know your budget range?") carries to the
    customer's answer in the next two messages."""
    found: money.Amount | None = None
    carry: int | None = None
    asked: tuple[int, Side] | None = None
    for clause in clauses:
        answering = asked is not None and clause.side is not asked[1] and 0 < clause.message - asked[0] <= 2
        cued = carry == clause.message or answering or bool(_MONEY_TALK.search(clause.text))
        amount = money.find_budget(clause.text, cue_before=cued)
        if amount is not None and _PER_UNIT.search(clause.text):
            # "每台五千以内" is a unit price, not what the project will cost.
            amount = None
        cue = money.has_budget_cue(clause.text)
        carry = clause.message if cue and amount is None else None
        if cue and amount is None and _ASKS.search(clause.text):
            asked = (clause.message, clause.side)
        if amount is not None:
            found = _in_currency(clause.text, amount, locale)
            asked = None
    return found


# The currency a chat implies when its amount names none: "預算45萬" from a Hong Kong or Taiwan customer.
_LOCAL_CURRENCY = {"HK": "HKD", "TW": "TWD", "MO": "MOP", "SG": "SGD"}


def _in_currency(text: str, amount: money.Amount, locale: str) -> money.Amount | None:
    """The amount in the currency it was said in. A currency the text names near the amount, or the
    one a Hong Kong or Taiwan chat implies, is never read as renminbi: a CNY figure off by the exchange
    rate is worse than none. A foreign cue the money reader did not resolve leaves no budget at all."""
    if amount.currency != "CNY":
        return amount
    near = text[max(0, amount.start - 10) : amount.end + 12]
    if _CNY.search(near):
        return amount
    if _FOREIGN_CURRENCY.search(near):
        return None
    local = _LOCAL_CURRENCY.get(locale)
    if local is None:
        return amount
    return replace(amount, currency=local, cny=None, cny_low=None, converted=False)


def _actions(dialogue: Dialogue, now: datetime) -> _Actions:
    meeting: datetime | None = None
    milestone: tuple[str, date] | None = None
    commitments: list[CommitmentFact] = []
    todos: list[TodoFact] = []
    reminders: list[ReminderFact] = []
    proposal_message = -10
    day_said: tuple[int, date] | None = None
    # "苗经理说下周三下午有空，可以过去": a meeting word in one clause of a message names the meeting
    # whose time another clause of it gives.
    cued = {
        c.message
        for c in dialogue.clauses
        if actions.has_meeting_cue(c) and not any(m.one_day and not _clock_only(m, now) for m in c.times)
    }
    cued_with_day = {c.message for c in dialogue.clauses if actions.has_meeting_cue(c)}
    proposed_by: Side | None = None
    week_said: tuple[int, date, date] | None = None
    previous_time: tuple[int, TimeMention] | None = None
    for raw in dialogue.clauses:
        clause = _without_house_numbers(raw)
        short_reply = len(dialogue.messages[clause.message].text) <= _SHORT_REPLY
        follows = short_reply and 0 < clause.message - proposal_message <= 2
        todo = actions.is_todo(clause)
        reminder = actions.is_reminder(clause)
        promise = actions.is_explicit_promise(clause) or (not todo and actions.is_promise(clause))
        # "记得明天给张总打电话" is the rep's to-do at its time, not a meeting as well.
        own_task = todo and not reminder and not promise
        # A time of day said after the meeting's day ("下礼拜四看Demo，下午三点方便吗") is its time.
        lent = clause.message in cued or (
            clause.message in cued_with_day and any(_clock_only(m, now) for m in clause.times)
        )
        when = None if own_task else actions.meeting_time(clause, now, follows_proposal=follows or lent)
        if actions.has_meeting_cue(clause):
            proposal_message = clause.message
        if when is not None:
            week_said = _week_said(clause, before=when.start) or week_said
            moment = _meeting_moment(when, clause, day_said, week_said, now)
            if moment is not None:
                meeting = moment
                proposed_by = clause.side
        elif (
            meeting is not None
            and proposed_by is not None
            and clause.side is not proposed_by
            and actions.declines(clause)
            and not any(m.one_day for m in clause.times)
        ):
            # "下周二过去拜访您？" - "下周不在": the other side turned the time down.
            meeting = None
        day_said = _day_said(clause, now) or day_said
        week_said = _week_said(clause) or week_said
        # What our side will deliver ("我方12月1日前提交方案") is not the customer's milestone.
        # Nor is the rep's plan for a visit ("周四下午我和实施经理一起过去").
        rep_visit = clause.side is Side.REP and actions.has_meeting_cue(clause)
        said = None if _OURS.search(clause.text) or rep_visit else actions.timeline(clause)
        if said is not None and (when is None or said[1] is not when):
            milestone = (said[0], said[1].by())
        elif said is None and not clause.times and previous_time and previous_time[0] == clause.message:
            # "下周二上午来一趟成都 签合同": the milestone's time is in the clause before.
            cue = actions.timeline_cue(clause)
            if cue is not None:
                milestone = (cue, previous_time[1].by())
        if clause.times:
            previous_time = (clause.message, clause.times[-1])
        due = _due(clause.times[-1], now) if clause.times else None
        if reminder:
            if clause.times:
                reminders.append(ReminderFact(actions.reminder_text(clause), clause.times[-1].moment()))
            else:
                todos.append(TodoFact(actions.reminder_text(clause)))
        elif promise:
            person = actions.promiser(clause)
            commitments.append(
                CommitmentFact(actions.action_text(clause), actions.party(clause, person), due)
            )
        elif todo:
            todos.append(TodoFact(actions.todo_text(clause), due))
    return _Actions(
        meeting,
        milestone[0] if milestone else None,
        milestone[1] if milestone else None,
        tuple(commitments),
        tuple(todos),
        tuple(reminders),
    )


def _without_house_numbers(clause: Clause) -> Clause:
    """The clause without the time the parser read in a street address ("工业一路1号" is no 1st)."""
    kept = tuple(m for m in clause.times if not _HOUSE_NUMBER.search(clause.text[: m.start]))
    return clause if len(kept) == len(clause.times) else replace(clause, times=kept)


def _clock_only(mention: TimeMention, now: datetime) -> bool:
    """A time of day said without its day ("下午2点半", "11am", "下午"), which the parser put on today."""
    return (
        (mention.clock or mention.hour is not None)
        and (mention.first.date() - now.date()).days <= 1
        and not _DAY_WORDS.search(mention.text)
    )


def _day_said(clause: Clause, now: datetime) -> tuple[int, date] | None:
    """The day a clause names without a clock time; of two side by side ("12月8号周二") the first."""
    found: TimeMention | None = None
    for mention in clause.times:
        if not mention.one_day or mention.deadline or _clock_only(mention, now):
            continue
        if found is None or mention.start > found.end + 1:
            found = mention
    return (clause.message, found.first.date()) if found else None


def _week_said(clause: Clause, before: int | None = None) -> tuple[int, date, date] | None:
    """A week the clause names ("下周", "next week"), for a weekday said after it."""
    for mention in clause.times:
        if before is not None and mention.start >= before:
            break
        span = (mention.last.date() - mention.first.date()).days
        if not mention.deadline and 5 <= span <= 7:
            return clause.message, mention.first.date(), mention.last.date()
    return None


def _meeting_moment(
    when: TimeMention,
    clause: Clause,
    day_said: tuple[int, date] | None,
    week_said: tuple[int, date, date] | None,
    now: datetime,
) -> datetime | None:
    """The meeting's moment: a clock time said alone goes on the day named just before it ("明天 11am",
    "12月8号周二下午？" - "下午2点半"), a weekday said after "下周" in that week ("下周…周三或周四")."""
    moment = when.moment()
    if (
        week_said is not None
        and clause.message - week_said[0] <= 1
        and _WEEKDAY_ONLY.fullmatch(when.text.strip())
    ):
        shifted = moment + timedelta(days=7)
        if moment.date() < week_said[1] <= shifted.date() <= week_said[2]:
            moment = shifted
    if _clock_only(when, now):
        before = [m for m in clause.times if m.end <= when.start and not _clock_only(m, now) and m.one_day]
        day = before[-1].first.date() if before else None
        if day is None and day_said is not None and clause.message - day_said[0] <= 2:
            day = day_said[1]
        if day is not None and day >= now.date():
            moment = datetime.combine(day, moment.timetz())
        elif not when.clock:
            # "晚上打给我": a part of today alone is not an appointment.
            return None
    return moment


def _due(mention: TimeMention, now: datetime) -> datetime:
    """When a promise or to-do is due; "today" said after 09:00 means by the end of the working day."""
    due = mention.due()
    if due < now and due.date() == now.date() and not mention.clock:
        return max(now, due.replace(hour=_END_OF_DAY))
    return due


def _people(
    mentions: list[tuple[Clause, people.Mention]], line: LineContact | None
) -> tuple[PersonMention, ...]:
    merged: dict[str, PersonMention] = {}
    found = [m for _, m in mentions]
    if line is not None:
        found.append(people.Mention(line.name, -1, line.title, people.role_of(line.title)))
    for m in found:
        known = merged.get(m.name)
        merged[m.name] = PersonMention(
            m.name,
            m.title or (known.title if known else None),
            m.role or (known.role if known else None),
        )
    return tuple(merged.values())


def _summary(dialogue: Dialogue) -> str | None:
    """The most informative clauses, in their order, within about 120 characters."""
    scored = sorted(
        ((_information(clause), index) for index, clause in enumerate(dialogue.clauses)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    chosen: list[int] = []
    length = 0
    for score, index in scored:
        text = dialogue.clauses[index].text
        if score <= 0 and chosen:
            break
        if length + len(text) + 1 > _SUMMARY_LIMIT:
            continue
        chosen.append(index)
        length += len(text) + 1
    if not chosen:
        return dialogue.clauses[0].text[:_SUMMARY_LIMIT] if dialogue.clauses else None
    joiner = "，" if re.search(r"[\u4e00-\u9fff]", dialogue.text) else "; "
    return joiner.join(dialogue.clauses[index].text for index in sorted(chosen))


def _information(clause: Clause) -> int:
    score = 0
    if money.find_budget(clause.text):
        score += 3
    if clause.times:
        score += 2
    if actions.needs(clause):
        score += 2
    if people.find_mentions(clause.text) or find_companies(clause.text):
        score += 2
    if actions.is_promise(clause):
        score += 1
    if len(clause.text) < 4:
        score -= 2
    return score
