"""Text formatting as Telegram does it: parse modes to (text, entities), entity detection.

Offsets and lengths of entities are in UTF-16 code units, as in the Bot API.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser


class ParseError(ValueError):
    """The text cannot be parsed in its parse mode (Telegram answers 400 'can't parse entities')."""


def u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers (offset and length in UTF-16 code units)."""
    data = text.encode("utf-16-le")
    return data[2 * offset:2 * (offset + length)].decode("utf-16-le", errors="replace")


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
    "a": "text_link", "tg-spoiler": "spoiler", "blockquote": "blockquote",
}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict] = []
        self.stack: list[tuple[str, int, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs_d = dict(attrs)
        if tag == "span" and attrs_d.get("class") == "tg-spoiler":
            tag = "tg-spoiler"
        if tag not in _HTML_TAGS:
            raise ParseError(f"Unsupported start tag \"{tag}\"")
        extra: dict = {}
        if tag == "a":
            extra["url"] = attrs_d.get("href") or ""
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            cls = attrs_d.get("class") or ""
            if cls.startswith("language-"):
                self.stack[-1][2]["language"] = cls[len("language-"):]
        self.stack.append((tag, u16len(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.stack and self.stack[-1][0] == "tg-spoiler":
            tag = "tg-spoiler"
        if not self.stack or self.stack[-1][0] != tag:
            raise ParseError(f"Unmatched end tag \"{tag}\"")
        name, start, extra = self.stack.pop()
        length = u16len(self.text) - start
        if name == "code" and self.stack and self.stack[-1][0] == "pre":
            return  # the <pre> entity carries the language
        if length > 0:
            self.entities.append({"type": _HTML_TAGS[name], "offset": start, "length": length, **extra})

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(text: str) -> tuple[str, list[dict]]:
    parser = _Html()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ParseError(f"Can't find end tag corresponding to start tag \"{parser.stack[-1][0]}\"")
    return parser.text, sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


_MD2_SPECIAL = set("_*[]()~`>#+-=|{}.!\\")


def parse_markdown(text: str, v2: bool) -> tuple[str, list[dict]]:
    """MarkdownV2 (v2=True) or legacy Markdown: bold, italic, underline, strike, spoiler, code, pre, links."""
    out: list[str] = []
    entities: list[dict] = []
    open_: dict[str, int] = {}
    pos = 0
    n = len(text)
    markers = ["__", "||", "*", "_", "~"] if v2 else ["*", "_"]
    kinds = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}

    def cur() -> int:
        return u16len("".join(out))

    while pos < n:
        ch = text[pos]
        if ch == "\\" and v2 and pos + 1 < n:
            out.append(text[pos + 1])
            pos += 2
            continue
        if text.startswith("```", pos):
            end = text.find("```", pos + 3)
            if end < 0:
                raise ParseError("Can't find end of Pre entity")
            body = text[pos + 3:end]
            lang = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    lang, body = first, rest
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            start = cur()
            out.append(body)
            ent = {"type": "pre", "offset": start, "length": u16len(body)}
            if lang:
                ent["language"] = lang
            entities.append(ent)
            pos = end + 3
            continue
        if ch == "`":
            end = text.find("`", pos + 1)
            if end < 0:
                raise ParseError("Can't find end of Code entity")
            body = text[pos + 1:end]
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            start = cur()
            out.append(body)
            entities.append({"type": "code", "offset": start, "length": u16len(body)})
            pos = end + 1
            continue
        if ch == "[":
            m = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(((?:\\.|[^)\\])*)\)").match(text, pos)
            if m:
                label, url = m.group(1), m.group(2)
                if v2:
                    label = re.sub(r"\\(.)", r"\1", label)
                    url = re.sub(r"\\(.)", r"\1", url)
                start = cur()
                out.append(label)
                entities.append({"type": "text_link", "offset": start, "length": u16len(label), "url": url})
                pos = m.end()
                continue
        marker = next((mk for mk in markers if text.startswith(mk, pos)), None)
        if marker:
            if marker in open_:
                start = open_.pop(marker)
                if cur() > start:
                    entities.append({"type": kinds[marker], "offset": start, "length": cur() - start})
            else:
                open_[marker] = cur()
            pos += len(marker)
            continue
        if v2 and ch in _MD2_SPECIAL:
            raise ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        out.append(ch)
        pos += 1
    if open_:
        raise ParseError(f"Can't find end of the entity starting at byte offset {min(open_.values())}")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown(text, v2=True)
    if mode == "markdown":
        return parse_markdown(text, v2=False)
    raise ParseError(f"Unsupported parse_mode \"{parse_mode}\"")


_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<url>\bhttps?://[^\s<>\"]+|(?<![\w/.@])(?:t|telegram)\.me/[^\s<>\"]+)"
    r"|(?P<mention>(?<!\w)@[A-Za-z0-9_]{4,32})"
)


def detect_entities(text: str) -> list[dict]:
    """Entities Telegram adds to plain text: bot commands, @mentions, URLs (`t.me/…` without a
    scheme too; trailing punctuation is not part of a URL)."""
    found = []
    for m in _AUTO.finditer(text):
        kind = m.lastgroup or "url"
        body = m.group(0)
        if kind == "url":
            body = body.rstrip(".,;:!?)]}'\"")
        found.append({"type": kind, "offset": u16len(text[: m.start()]), "length": u16len(body)})
    return found
