"""Invite codes: random, URL-safe, and never read as a command-line option."""

from __future__ import annotations

import re

from crm.members import invite_code


def test_invite_codes_are_url_safe_distinct_and_never_start_like_an_option() -> None:
    # One plain token_urlsafe code in 32 starts with "-" or "_": 4,000 codes all but certainly meet
    # the case the generator must avoid.
    codes = [invite_code() for _ in range(4000)]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{11}", code) for code in codes)
    assert len(set(codes)) == len(codes)
