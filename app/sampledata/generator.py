"""Seeded synthetic source records with ground truth, for tests, demos and benchmarks.

Everything comes from one ``random.Random(seed)``: the same ``(people, seed, start)`` gives
the same records in the same order, with the same truth. Pure stdlib, no I/O except the
two ``write_*`` helpers.

Who is in the data. Each person (``P000001`` ...) has a name, birth date and postcode,
1-3 emails, 1-3 phones (valid US numbers in Bay Area area codes, never 555), one web
account, 2-4 devices (phone, laptop, work laptop ...) and, from cookie churn, 8-15 browser
cookies over the 90 days (at least one per device). About 20% of people live in a
household of 2-4 that shares a tablet; about 3% also browse at an internet cafe.

Scenarios (share of records at the default rates, measured over 100k records):

* ``web`` (~71%). Logins (~61%): a device's cookies churn, and when the person logs in
  the event reports the device, the web account and the cookies the device had since
  its previous login (up to 5; a device with more logs in more often), ~35% also an
  email. About 10% of logins follow an anonymous session (~6%: the login's first cookie
  + the device), which the login links to the person. Household members log in on the
  shared tablet with their own account and a cookie (device + account + cookie, ~3.5%);
  cafe visitors browse anonymously on a cafe device, then log in (cookie + account, ~1%).
* ``crm`` (~17%, one per person, ``A-1001`` ...): emails + phones + all attributes. The
  CRM record also carries whatever contact detail is needed so that all of a person's
  identifiers are connected through their records.
* ``orders`` (~8%): email + phone, or email + an order account; name and postcode.
  About 2% of order emails carry a typo (``gmial.com``, swapped letters): a different
  identifier, always sent with the person's phone. About 3% of orders use the
  placeholder ``test@test.com`` instead of an email.
* ``callcentre`` (~3.5%): the caller's phone plus the support line's own number
  (``+1 415 900 0000``), so the support line appears with thousands of callers; some
  logs also use the ``test@test.com`` placeholder.
* re-sent records (~1%): a record sent again, identical, a little later in the stream.

Ratios (measured, default rates): ~5.9 records per person, ~19.3 distinct identifiers
per person (~11.7 cookies, 3 devices, ~1.8 emails, ~1.6 phones, ~1.2 accounts), ~3.3
distinct identifiers per record (truth + shared + household, ~3.27 over 20k or 100k
records) and ~4.4 identifier occurrences per record (logins ~5.5, CRM ~3.4, the others
2-3). Occurrences cannot be much lower: a person's R records and I identifiers are one
connected component, so they need at least R + I - 1 occurrences, i.e. about 1 + I/R
per record. ``generate_for_records(100_000)`` makes ~16.9k people, ~100k records and
~329k distinct identifiers in about 4-5 s; streaming holds one block (a few thousand
records) plus the ground truth.

Ground truth uses the keys the service builds after normalisation (``kind:value``): email
trimmed and lower-cased, phone as E.164, cookie and device trimmed, account scoped to
its source (``account:web/u-123``). ``truth`` maps every identifier that belongs to
exactly one person; the support line, the placeholder email and cafe devices are in
``shared``; household tablets are in ``household_devices``; neither is in ``truth``.
Leaving those two sets out, each person's identifiers form exactly one connected
component of the record/identifier graph, and no component holds two people.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graph_models.identifiers import BuiltinKind

Record = dict[str, Any]

DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=90)

SUPPORT_LINE = "+14159000000"
"""The call centre's own number (E.164): in many call logs, with different callers."""
PLACEHOLDER_EMAIL = "test@test.com"
"""What agents type when the customer gives no email."""

RECORDS_PER_PERSON = 5.9
"""Measured mean records per person at the default rates (see the module docstring)."""

HOUSEHOLD_RATE = 0.08  # chance a new group is a household; households average 3 people
CAFE_RATE = 0.03
DUPLICATE_RATE = 0.01
TYPO_RATE = 0.02
PLACEHOLDER_ORDER_RATE = 0.03
PLACEHOLDER_CALL_RATE = 0.15
LOGIN_EMAIL_RATE = 0.2
ANONYMOUS_RATE = 0.1  # chance a login's first cookie also has an anonymous session before it
CRM_EXTRA_RATE = 0.8  # chance the CRM record carries each extra email / phone
DEVICES_PER_PERSON = (2, 4)  # phone, laptop, work laptop, ...
COOKIES_PER_PERSON = (8, 15)  # over the 90 days, across all of a person's devices
MAX_COOKIES_PER_LOGIN = 5  # a device with more cookies logs in more than once
EMAILS_CUMULATIVE = (0.40, 0.75)  # 1, 2 or 3 emails: 40/35/25%
PHONES_CUMULATIVE = (0.45, 0.80)  # 1, 2 or 3 phones: 45/35/20%
ORDERS_CUMULATIVE = (0.60, 0.92)  # 0, 1 or 2 orders: 60/32/8%
CALLS_CUMULATIVE = (0.82, 0.97)  # 0, 1 or 2 calls: 82/15/3%
MESSY_EMAIL_RATE = 0.25
MESSY_COOKIE_RATE = 0.02
CAFE_VISITORS_PER_DEVICE = 1000  # one cafe device per this many people
BLOCK = 4096  # records shuffled together before they are yielded

_OWN, _SHARED, _HOUSEHOLD = 0, 1, 2
_EMAIL, _PHONE, _COOKIE, _DEVICE, _ACCOUNT = (
    BuiltinKind.EMAIL.value,
    BuiltinKind.PHONE.value,
    BuiltinKind.COOKIE.value,
    BuiltinKind.DEVICE.value,
    BuiltinKind.ACCOUNT.value,
)

# (kind, raw value, normalised key, role)
_Id = tuple[str, str, str, int]
# (source, seconds into the window, identifiers, attributes)
_Draft = tuple[str, int, list[_Id], dict[str, str]]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST_NAMES = _words(
    "james mary robert patricia john jennifer michael linda david elizabeth william "
    "barbara richard susan joseph jessica thomas sarah charles karen daniel lisa matthew "
    "nancy anthony betty mark sandra donald ashley steven emily paul donna andrew "
    "michelle joshua carol kevin amanda brian melissa george deborah timothy stephanie "
    "jason rebecca ryan laura jacob helen gary sharon nicholas cynthia eric kathleen "
    "jonathan amy wei mei hiroshi yuki carlos maria jose ana luis sofia priya arjun "
    "fatima omar"
)
_LAST_NAMES = _words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez "
    "lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez "
    "thompson white harris sanchez clark ramirez lewis robinson walker young allen king "
    "wright scott torres nguyen hill flores green adams nelson baker hall rivera "
    "campbell mitchell carter roberts chen wang zhang kim park patel singh khan tanaka "
    "sato doe"
)
_POSTCODES = _words(
    "94102 94103 94107 94110 94112 94114 94117 94121 94122 94124 94131 94133 94015 94025 "
    "94040 94043 94061 94070 94301 94303 94402 94501 94536 94550 94566 94588 94601 94606 "
    "94607 94611 94612 94702 94704 94709 95014 95035 95050 95112 95125 95131"
)
_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "example.com",
)
_DOMAIN_TYPOS = {
    "gmail.com": "gmial.com",
    "yahoo.com": "yaho.com",
    "outlook.com": "outlok.com",
    "hotmail.com": "hotmial.com",
    "icloud.com": "iclod.com",
    "proton.me": "protn.me",
    "example.com": "exmaple.com",
}

# Phone pool: area code x exchange x line, every number valid for ``phonenumbers``.
# Exchanges skip N11 service codes, 555 (fictional) and 900 (kept for the support line).
_AREA_CODES = ("415", "628", "650", "510", "408", "925", "707", "669")
_EXCHANGES = tuple(
    f"{x}" for x in range(200, 1000) if x % 100 != 11 and x not in (555, int(SUPPORT_LINE[5:8]))
)
_PHONE_SPACE = len(_AREA_CODES) * len(_EXCHANGES) * 10_000


def _count(draw: float, *cumulative: float) -> int:
    """How many thresholds ``draw`` (uniform in [0, 1)) reaches: a small categorical draw."""
    return sum(draw >= threshold for threshold in cumulative)


def _permute(n: int, modulus: int, salt: int) -> int:
    """A seeded bijection of ``range(modulus)``: unique ids that look random.

    Xor with a constant, multiplying by an odd number and ``x ^= x >> k`` are each
    bijections of ``bits``-bit integers; cycle-walking keeps the result below ``modulus``.
    """
    bits = max(modulus - 1, 1).bit_length()
    mask = (1 << bits) - 1
    x = n
    while True:
        x = ((x ^ salt) * 0x9E3779B97F4A7C15) & mask
        x ^= x >> (bits // 2 + 1)
        x = (x * 0xBF58476D1CE4E5B9) & mask
        x ^= x >> (bits // 3 + 1)
        if x < modulus:
            return x


@dataclass(frozen=True)
class GeneratedData:
    """Records and the truth about who they belong to.

    Attributes:
        records: Source records in the public JSON shape of ``POST /v1/records``.
        truth: Normalised identifier key (``kind:value``) -> person id (``P000123``), for
            every identifier in ``records`` that belongs to exactly one person.
        shared: Keys that many unrelated people use (support line, placeholder email,
            internet-cafe devices). Not in ``truth``.
        household_devices: Keys of tablets a household shares. Not in ``truth``.
        people: How many people the records describe.
    """

    records: list[Record]
    truth: dict[str, str]
    shared: set[str]
    household_devices: set[str]
    people: int


@dataclass
class GroundTruth:
    """Truth filled in while :func:`iter_records` streams (see :class:`GeneratedData`)."""

    truth: dict[str, str] = field(default_factory=dict)
    shared: set[str] = field(default_factory=set)
    household_devices: set[str] = field(default_factory=set)
    people: int = 0


@dataclass(slots=True)
class _Person:
    pid: str
    first: str
    last: str
    birth_date: str
    postcode: str
    emails: list[str]  # normalised addresses
    phones: list[str]  # E.164
    account: str
    cookies: list[list[str]]  # per device, in the order the device had them
    devices: list[str]


def generate(people: int, seed: int = 7, *, start: datetime | None = None) -> GeneratedData:
    """Generate the records of ``people`` people, with ground truth.

    Args:
        people: Number of people; records come to about ``RECORDS_PER_PERSON`` each.
        seed: Seed of the only random source; same arguments, same data.
        start: End of the 90-day window the ``observed_at`` times fall in
            (default 2026-11-01T00:00:00Z; a naive datetime is taken as UTC).

    Returns:
        The records in stream order and their ground truth.
    """
    ground = GroundTruth()
    records = list(iter_records(people, seed, start=start, ground_truth=ground))
    return GeneratedData(
        records=records,
        truth=ground.truth,
        shared=ground.shared,
        household_devices=ground.household_devices,
        people=ground.people,
    )


def generate_for_records(
    n_records: int, seed: int = 7, *, start: datetime | None = None
) -> GeneratedData:
    """Generate about ``n_records`` records (within a few percent), with ground truth."""
    return generate(people_for_records(n_records), seed, start=start)


def people_for_records(n_records: int) -> int:
    """How many people give about ``n_records`` records."""
    return max(1, round(n_records / RECORDS_PER_PERSON))


def iter_records(
    people: int,
    seed: int = 7,
    *,
    start: datetime | None = None,
    ground_truth: GroundTruth | None = None,
) -> Iterator[Record]:
    """Stream the records :func:`generate` returns, in the same order.

    Only a block of a few thousand records is held at a time. Ground truth is
    complete once the iterator is exhausted.

    Args:
        people: Number of people.
        seed: Seed of the only random source.
        start: End of the 90-day window of ``observed_at`` (default 2026-11-01T00:00Z).
        ground_truth: Filled in as records are produced, if given.
    """
    if people < 0:
        raise ValueError("people must be >= 0")
    ground = ground_truth if ground_truth is not None else GroundTruth()
    return _Generator(people, seed, start or DEFAULT_START, ground).iter_people_records()


def write_jsonl(records: Iterable[Record], path: str | Path) -> None:
    """Write records one JSON object per line (the shape ``POST /v1/records`` takes)."""
    with Path(path).open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, separators=(",", ":")))
            out.write("\n")


def write_truth(data: GeneratedData | GroundTruth, path: str | Path) -> None:
    """Write ``{"truth": {...}, "shared": [...], "household_devices": [...], "people": n}``."""
    document = {
        "truth": data.truth,
        "shared": sorted(data.shared),
        "household_devices": sorted(data.household_devices),
        "people": data.people,
    }
    Path(path).write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")


class _Generator:
    """One generation run: the random source, id counters and the truth being built."""

    def __init__(self, people: int, seed: int, start: datetime, ground: GroundTruth) -> None:
        self.people = people
        self.rng = random.Random(seed)
        self.ground = ground
        ground.people = people
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.window = int(WINDOW.total_seconds())
        self.window_start = int(start.timestamp()) - self.window
        rng = self.rng
        # Each id sequence is its own seeded permutation: ids look random, never repeat.
        self.salts = {
            name: rng.getrandbits(64)
            for name in ("cookie", "device", "phone", "web_account", "order_account", "email")
        }
        self.email_tags = 10 ** max(3, len(str(people)) + 1)
        self.counters = {"crm": 1000, "web": 0, "orders": 100_000, "callcentre": 0}
        self.cafes = [self._next_device() for _ in range(max(1, people // 1000))]
        self.resend: list[Record] = []

    # -- the stream -----------------------------------------------------------------

    def iter_people_records(self) -> Iterator[Record]:
        """People in groups (a household or one person), records shuffled per block."""
        rng = self.rng
        buffer: list[Record] = []
        number = 1
        while number <= self.people:
            size = 1
            if number < self.people and rng.random() < HOUSEHOLD_RATE:
                size = min(rng.randint(2, 4), self.people - number + 1)
            group = [self._new_person(number)]
            for offset in range(1, size):
                group.append(self._new_person(number + offset, housemate=group[0]))
            tablet = self._next_device() if size > 1 else None
            for person in group:
                buffer.extend(self._person_records(person, tablet))
            number += size
            if len(buffer) >= BLOCK:
                rng.shuffle(buffer)
                yield from buffer
                # Re-sent copies go out with the next block: after their originals.
                buffer, self.resend = self.resend, []
        rng.shuffle(buffer)
        yield from buffer
        rng.shuffle(self.resend)
        yield from self.resend
        self.resend = []

    # -- people ---------------------------------------------------------------------

    def _new_person(self, number: int, housemate: _Person | None = None) -> _Person:
        rng = self.rng
        first = rng.choice(_FIRST_NAMES)
        last = rng.choice(_LAST_NAMES)
        postcode = rng.choice(_POSTCODES)
        if housemate is not None:
            postcode = housemate.postcode
            if rng.random() < 0.7:
                last = housemate.last
        birth = datetime(1945, 1, 1) + timedelta(days=rng.randrange(60 * 365))
        # A per-person number in the local part keeps addresses unique (it is a permuted
        # person number, so it does not give the person id away); the three forms (dot,
        # underscore, initial) never collide with each other.
        tag = _permute(number - 1, self.email_tags, self.salts["email"])
        forms = [f"{first}.{last}{tag}", f"{first[0]}{last}{tag}", f"{first}_{last}{tag}"]
        n_emails = 1 + _count(rng.random(), *EMAILS_CUMULATIVE)
        emails = [f"{form}@{rng.choice(_DOMAINS)}" for form in forms[:n_emails]]
        n_phones = 1 + _count(rng.random(), *PHONES_CUMULATIVE)
        n_devices = rng.randint(*DEVICES_PER_PERSON)
        devices = [self._next_device() for _ in range(n_devices)]
        # Cookie churn: every device has at least one cookie, the rest land anywhere.
        n_cookies = max(rng.randint(*COOKIES_PER_PERSON), n_devices)
        owners = list(range(n_devices)) + [
            rng.randrange(n_devices) for _ in range(n_cookies - n_devices)
        ]
        cookies: list[list[str]] = [[] for _ in devices]
        for owner in sorted(owners):
            cookies[owner].append(self._next_cookie())
        return _Person(
            pid=f"P{number:06d}",
            first=first,
            last=last,
            birth_date=birth.strftime("%Y-%m-%d"),
            postcode=postcode,
            emails=emails,
            phones=[self._next_phone() for _ in range(n_phones)],
            account=self._next_web_account(),
            cookies=cookies,
            devices=devices,
        )

    def _person_records(self, person: _Person, tablet: str | None) -> list[Record]:
        rng = self.rng
        drafts: list[_Draft] = []
        login_email = False
        account = self._account("web", person.account)

        # Web: a device's cookies churn; each login reports the device, the account and
        # the cookies the device had since its previous login. Some of those cookies were
        # first seen in an anonymous session (cookie + device) before the login.
        logins: list[list[_Id]] = []
        for device, device_cookies in zip(person.devices, person.cookies, strict=True):
            n = len(device_cookies)
            n_logins = -(-n // MAX_COOKIES_PER_LOGIN)
            for login in range(n_logins):
                batch = device_cookies[n * login // n_logins : n * (login + 1) // n_logins]
                seen = rng.randrange(int(self.window * 0.85))
                if rng.random() < ANONYMOUS_RATE:
                    ids = [self._cookie(batch[0]), self._device(device)]
                    drafts.append(("web", seen, ids, {}))
                ids = [self._device(device), account, *(self._cookie(c) for c in batch)]
                drafts.append(("web", rng.randrange(seen + 60, self.window), ids, {}))
                logins.append(ids)
        for index, ids in enumerate(logins):
            if rng.random() < LOGIN_EMAIL_RATE or (index == len(logins) - 1 and not login_email):
                ids.append(self._email(rng.choice(person.emails)))
                login_email = True

        if tablet is not None:
            cookie = self._next_cookie()
            tablet_id = (_DEVICE, tablet, f"device:{tablet}", _HOUSEHOLD)
            ids = [tablet_id, account, self._cookie(cookie)]
            drafts.append(("web", rng.randrange(self.window), ids, {}))

        if rng.random() < CAFE_RATE:
            cafe = rng.choice(self.cafes)
            cafe_id = (_DEVICE, cafe, f"device:{cafe}", _SHARED)
            cookie = self._next_cookie()
            seen = rng.randrange(int(self.window * 0.85))
            drafts.append(("web", seen, [self._cookie(cookie), cafe_id], {}))
            ids = [self._cookie(cookie), account]
            drafts.append(("web", rng.randrange(seen + 60, self.window), ids, {}))

        # Orders: email + phone, or email + order account.
        n_orders = _count(rng.random(), *ORDERS_CUMULATIVE)
        order_account: _Id | None = None
        for _ in range(n_orders):
            address = rng.choice(person.emails)
            phone = self._phone(rng.choice(person.phones))
            draw = rng.random()
            if draw < TYPO_RATE:
                ids = [self._email(self._typo(address, person)), phone]
            elif draw < TYPO_RATE + PLACEHOLDER_ORDER_RATE:
                ids = [self._placeholder(), phone]
            elif rng.random() < 0.6:
                ids = [self._email(address), phone]
            else:
                if order_account is None:
                    order_account = self._account("orders", self._next_order_account())
                ids = [self._email(address), order_account]
            attributes = {
                "first_name": person.first.title(),
                "last_name": person.last.title(),
                "postcode": person.postcode,
            }
            drafts.append(("orders", rng.randrange(self.window), ids, attributes))

        # Call centre: the caller's phone next to the support line's.
        n_calls = _count(rng.random(), *CALLS_CUMULATIVE)
        for _ in range(n_calls):
            ids = [self._phone(rng.choice(person.phones)), self._support_line()]
            if rng.random() < PLACEHOLDER_CALL_RATE:
                ids.append(self._placeholder())
            attributes = {}
            if rng.random() < 0.6:
                attributes = {"first_name": person.first.title(), "last_name": person.last.title()}
            drafts.append(("callcentre", rng.randrange(self.window), ids, attributes))

        drafts.append(self._crm_draft(person, drafts))
        return [self._materialise(person, draft) for draft in drafts]

    def _crm_draft(self, person: _Person, drafts: list[_Draft]) -> _Draft:
        """The CRM record: main contacts, plus one contact per otherwise-detached group."""
        rng = self.rng
        ids = [self._email(person.emails[0]), self._phone(person.phones[0])]
        ids += [self._email(e) for e in person.emails[1:] if rng.random() < CRM_EXTRA_RATE]
        ids += [self._phone(p) for p in person.phones[1:] if rng.random() < CRM_EXTRA_RATE]

        parent: dict[str, str] = {}

        def find(key: str) -> str:
            root = parent.setdefault(key, key)
            while root != key:
                parent[key] = parent[root]
                key, root = root, parent[root]
            return key

        for _, _, record_ids, _ in [*drafts, ("crm", 0, ids, {})]:
            owned = [key for _, _, key, role in record_ids if role == _OWN]
            if owned:
                first = find(owned[0])
                for key in owned[1:]:
                    parent[find(key)] = first

        contacts = {f"email:{e}": e for e in person.emails} | {
            f"phone:{p}": p for p in person.phones
        }
        roots = {key: find(key) for key in list(parent)}
        hub = roots[ids[0][2]]
        bridges: dict[str, str] = {}
        for key, root in roots.items():
            if root != hub and root not in bridges and key in contacts:
                bridges[root] = key
        if any(root != hub and root not in bridges for root in roots.values()):
            raise RuntimeError(f"{person.pid} has identifiers no contact detail can bridge")
        for key in bridges.values():
            kind = key.partition(":")[0]
            ids.append(
                self._email(contacts[key]) if kind == "email" else self._phone(contacts[key])
            )
        attributes = {
            "first_name": person.first.title(),
            "last_name": person.last.title(),
            "birth_date": person.birth_date,
            "postcode": person.postcode,
        }
        return ("crm", rng.randrange(self.window), ids, attributes)

    def _materialise(self, person: _Person, draft: _Draft) -> Record:
        source, seconds, ids, attributes = draft
        truth = self.ground.truth
        for _, _, key, role in ids:
            if role == _OWN:
                owner = truth.setdefault(key, person.pid)
                if owner != person.pid:  # a generator bug, not bad luck: ids are unique
                    raise RuntimeError(f"{key} generated for {owner} and {person.pid}")
            elif role == _SHARED:
                self.ground.shared.add(key)
            else:
                self.ground.household_devices.add(key)
        record: Record = {
            "source": source,
            "record_id": self._record_id(source),
            "observed_at": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.window_start + seconds)
            ),
            "identifiers": [{"kind": kind, "value": raw} for kind, raw, _, _ in ids],
            "attributes": attributes,
        }
        if self.rng.random() < DUPLICATE_RATE:
            self.resend.append(
                record
                | {
                    "identifiers": [dict(i) for i in record["identifiers"]],
                    "attributes": dict(attributes),
                }
            )
        return record

    def _record_id(self, source: str) -> str:
        self.counters[source] += 1
        n = self.counters[source]
        if source == "crm":
            return f"A-{n}"
        if source == "orders":
            return f"O-{n}"
        if source == "callcentre":
            return f"CALL-{n:07d}"
        return f"evt-{n:08d}"

    # -- identifier values ----------------------------------------------------------

    def _scramble(self, counter: str, modulus: int) -> int:
        """The next id of ``counter``, spread over ``range(modulus)`` without repeats."""
        n = self.counters[counter] = self.counters.get(counter, 0) + 1
        if n > modulus:
            raise ValueError(f"too many {counter} ids for {modulus}")
        return _permute(n - 1, modulus, self.salts[counter])

    def _next_hex(self, counter: str) -> str:
        return f"{self._scramble(counter, 1 << 64):016x}"

    def _next_web_account(self) -> str:
        return f"u-{self._scramble('web_account', 10**9):09d}"

    def _next_order_account(self) -> str:
        return f"C{self._scramble('order_account', 10**8):08d}"

    def _next_cookie(self) -> str:
        return "ck_" + self._next_hex("cookie")

    def _next_device(self) -> str:
        h = self._next_hex("device").upper()
        return f"{h[:8]}-{h[8:12]}-{h[12:]}"

    def _next_phone(self) -> str:
        index = self._scramble("phone", _PHONE_SPACE)
        area, rest = divmod(index, len(_EXCHANGES) * 10_000)
        exchange, line = divmod(rest, 10_000)
        return f"+1{_AREA_CODES[area]}{_EXCHANGES[exchange]}{line:04d}"

    def _typo(self, address: str, person: _Person) -> str:
        """A misspelt address: swapped letters in the name, or a misspelt domain."""
        local, _, domain = address.partition("@")
        letters = [
            i
            for i in range(len(local) - 1)
            if local[i].isalpha() and local[i + 1].isalpha() and local[i] != local[i + 1]
        ]
        if letters and self.rng.random() < 0.5:
            i = self.rng.choice(letters)
            typo = f"{local[:i]}{local[i + 1]}{local[i]}{local[i + 2 :]}@{domain}"
            if typo not in person.emails:
                return typo
        return f"{local}@{_DOMAIN_TYPOS[domain]}"

    # -- identifiers as sent (raw) with their normalised key ------------------------

    def _email(self, address: str) -> _Id:
        raw = address
        if self.rng.random() < MESSY_EMAIL_RATE:
            local, _, domain = address.partition("@")
            style = self.rng.randrange(4)
            if style == 0:
                raw = f"{local.title()}@{domain.title()}"
            elif style == 1:
                raw = address.upper()
            elif style == 2:
                raw = f" {address} "
            else:
                raw = f"{local.title()}@{domain}\t"
        return (_EMAIL, raw, f"email:{address}", _OWN)

    def _placeholder(self) -> _Id:
        raw = PLACEHOLDER_EMAIL if self.rng.random() < 0.8 else "Test@Test.com"
        return (_EMAIL, raw, f"email:{PLACEHOLDER_EMAIL}", _SHARED)

    def _phone_raw(self, e164: str) -> str:
        area, exchange, line = e164[2:5], e164[5:8], e164[8:]
        style = self.rng.randrange(6)
        if style == 0:
            return f"+1 ({area}) {exchange}-{line}"
        if style == 1:
            return f"{area}.{exchange}.{line}"
        if style == 2:
            return f"1{area}{exchange}{line}"
        if style == 3:
            return f"({area}) {exchange}-{line}"
        if style == 4:
            return e164
        return f"{area}-{exchange}-{line}"

    def _phone(self, e164: str) -> _Id:
        return (_PHONE, self._phone_raw(e164), f"phone:{e164}", _OWN)

    def _support_line(self) -> _Id:
        return (_PHONE, self._phone_raw(SUPPORT_LINE), f"phone:{SUPPORT_LINE}", _SHARED)

    def _cookie(self, value: str) -> _Id:
        raw = f"{value} " if self.rng.random() < MESSY_COOKIE_RATE else value
        return (_COOKIE, raw, f"cookie:{value}", _OWN)

    def _device(self, value: str) -> _Id:
        return (_DEVICE, value, f"device:{value}", _OWN)

    def _account(self, source: str, value: str) -> _Id:
        return (_ACCOUNT, value, f"account:{source}/{value}", _OWN)
