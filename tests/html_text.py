"""What a browser's parser makes of HTML text: the tags it opens and the text it shows."""

from __future__ import annotations

from html.parser import HTMLParser


class Tags(HTMLParser):
    """Feed it HTML; ``tags`` lists the start tags in order, ``text`` joins the text between them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text += data
