"""Simplified Chinese for argparse: its own words (usage, errors, section titles), and a
help layout that measures Chinese text in terminal columns.

argparse looks every message up through ``gettext`` at the moment it uses it
(``argparse._`` and ``argparse.ngettext``). Python ships no Chinese catalog, so this module
is a small in-process one, keyed by argparse's message ids, installed only while the tool
runs (``chinese_argparse()``) and restored afterwards.
"""
from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from butler.cli.render import width as columns_of

NO_LINE_START = set("，。、；：！？）》」』”")  # Chinese punctuation that may not begin a line

CATALOG = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "subcommands": "命令",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "以下参数须提供其中一个：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "该选项不接受值：%r",
    "expected one argument": "需要填写一个值",
    "expected at most one argument": "最多填写一个值",
    "expected at least one argument": "至少填写一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项：%(value)r（可选：%(choices)s）",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有命令 %(parser_name)r（可用：%(choices)s）",
    "unexpected option string: %s": "意外的选项：%s",
}

PLURALS = {
    ("expected %s argument", "expected %s arguments"): "需要填写 %s 个值",
}


def gettext(message: str) -> str:
    return CATALOG.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return PLURALS.get((singular, plural), singular if count == 1 else plural)


@contextmanager
def chinese_argparse() -> Iterator[None]:
    """Let argparse speak Chinese while the block runs (parser construction included:
    section titles are looked up when a parser is created)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help layout, measured in terminal columns (a Chinese character takes
    two) and with Chinese colons after section titles."""

    def __init__(self, prog: str) -> None:
        terminal = shutil.get_terminal_size().columns - 2
        super().__init__(prog, max_help_position=36, width=max(40, min(terminal, 100)))

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """Descriptions and examples: wrap prose lines, keep indented (example) lines."""
        lines = []
        for line in text.splitlines():
            if not line.strip() or line[:1].isspace():
                lines.append(indent + line)
            else:
                lines += [indent + part for part in self._split_lines(line, width - len(indent))]
        return "\n".join(lines)

    class _Section(argparse.HelpFormatter._Section):  # type: ignore[name-defined]
        def format_help(self) -> str:
            text = super().format_help()
            if self.heading:
                text = text.replace(f"{self.heading}:\n", f"{self.heading}：\n", 1)
            return text

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            invocations = [action, *self._iter_indented_subactions(action)]
            longest = max(columns_of(self._format_action_invocation(a)) for a in invocations)
            self._action_max_length = max(self._action_max_length, longest + self._current_indent)

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Wrap by columns: between Chinese characters anywhere, within Latin text at spaces."""
        lines, line = [], ""
        for token in re.findall(r"[^\s\u1100-\uffff]+|[\u1100-\uffff]|\s+", " ".join(text.split())):
            if token.isspace():
                token = " " if line else ""
            elif line and columns_of(line + token) > width and token not in NO_LINE_START:
                lines.append(line.rstrip())
                line = ""
            line += token
        return [*lines, line.rstrip()] if line or not lines else lines

    def _format_action(self, action: argparse.Action) -> str:
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        indent = " " * self._current_indent
        if not action.help:
            parts = [f"{indent}{header}\n"]
        else:
            if columns_of(header) <= action_width:
                parts = [f"{indent}{header}{' ' * (action_width - columns_of(header))}  "]
                first_indent = 0
            else:
                parts = [f"{indent}{header}\n"]
                first_indent = help_position
            help_text = self._expand_help(action)
            lines = self._split_lines(help_text, help_width) if help_text.strip() else [""]
            parts.append(" " * first_indent + lines[0] + "\n")
            parts += [" " * help_position + line + "\n" for line in lines[1:]]
        for subaction in self._iter_indented_subactions(action):
            parts.append(self._format_action(subaction))
        return self._join_parts(parts)
