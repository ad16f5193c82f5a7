"""What answers say about themselves (offline, cut off, statements left out, over budget),
in English and Traditional Chinese; shown in the reader's script."""

from __future__ import annotations

from rag.models.usage import OverBudget
from rag.text.language import EN, ZH, base_language, localise

OFFLINE_LABEL = {
    EN: "Offline mode: no language model is configured, so these are extracts from the papers' summaries "
        "and abstracts.",
    ZH: "離線模式：未設定語言模型，以下內容摘錄自論文摘要。",
}
FALLBACK_LABEL = {
    EN: "The language model failed ({reason}); here are extracts from the paper summaries instead.",
    ZH: "語言模型無法回應（{reason}）；以下改為摘錄論文摘要。",
}
CUT_OFF_LABEL = {
    EN: "The model stopped before finishing, so this answer may be incomplete.",
    ZH: "模型在寫完之前就停止了，這個回答可能不完整。",
}
UNSUPPORTED_LABEL = {
    EN: "Left out {n} statement(s) that none of the listed papers supports.",
    ZH: "已略去 {n} 句清單中的論文都不支持的內容。",
}
VERIFY_UNAVAILABLE_LABEL = {
    EN: "The second opinion on these statements was unavailable ({reason}), so they were checked against the "
        "papers by their words only.",
    ZH: "無法取得對這些陳述的第二意見（{reason}），因此只以字詞比對檢查了它們與論文是否相符。",
}
STORE_DOWN_LABEL = {
    EN: "The paper store is unreachable right now, so these papers were found by word matching only; "
        "{paper} and {topics} still work.",
    ZH: "論文資料庫暫時無法連線，以下論文僅以關鍵字比對找到；{paper} 與 {topics} 仍可使用。",
}
OVER_BUDGET = {
    "requests": {EN: "You have used your {allowed} model answers for today, so this is the offline answer, which "
                     "costs nothing. Your limit resets {resets}.",
                 ZH: "你今天的 {allowed} 次模型回答已用完，以下是不需費用的離線回答。額度將於 {resets} 重置。"},
    "tokens": {EN: "You have used today's {allowed} model tokens, so this is the offline answer, which costs "
                   "nothing. Your limit resets {resets}.",
               ZH: "你今天的 {allowed} 個模型 token 已用完，以下是不需費用的離線回答。額度將於 {resets} 重置。"},
    "guild_cost": {EN: "This server has used its model budget for the month (US${allowed:.2f}), so this is the "
                       "offline answer, which costs nothing. The budget resets {resets}.",
                   ZH: "本伺服器本月的模型預算（US${allowed:.2f}）已用完，以下是不需費用的離線回答。預算將於 {resets} 重置。"},
}
NOT_LISTED_LABEL = {
    EN: "{ids} is not in the paper list; `{add} {first}` adds it.",
    ZH: "論文清單中沒有 {ids}；可用 `{add} {first}` 加入。",
}
NOTHING_FOUND = {
    EN: "I found no paper in the list about that. Try other words, or `{topics}` to see what the list covers.",
    ZH: "清單中沒有找到與此相關的論文。請換個說法，或用 `{topics}` 查看清單涵蓋的主題。",
}
# Why a model's answer was not shown, as the reason in FALLBACK_LABEL.
REJECTED = {
    "echo": {EN: "it repeated its instructions instead of answering", ZH: "它重複了指示而沒有回答"},
    "empty": {EN: "its answer was empty", ZH: "它的回答是空的"},
    "uncited": {EN: "no listed paper supports its answer", ZH: "清單中的論文都不支持它的回答"},
}


# How each front end names the commands a label points at: a terminal is not Discord.
COMMANDS = {
    "cli": {"add": "paperbot add", "topics": "paperbot topics", "paper": "paperbot paper"},
    "discord": {"add": "/add", "topics": "/topics", "paper": "/paper"},
}


def label(table: dict, language: str, front: str = "cli", **params) -> str:
    return localise(table[base_language(language)].format(**COMMANDS[front], **params), language)


def over_budget(over: OverBudget, language: str) -> str:
    resets = over.resets.strftime("%Y-%m-%d %H:%M UTC")
    return label(OVER_BUDGET[over.limit], language, allowed=over.allowed, resets=resets)
