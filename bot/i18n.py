"""The bot's own words in English and Traditional Chinese (zh-TW).

Messages are picked per user: from the interaction's locale for commands, from the
question's language in channels. Command and option descriptions reach Discord
through `CommandTranslator`, so the sync payload carries zh-TW localisations.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from rag.text.language import EN, ZH, ZH_CN, base_language, localise


def language_for(locale: discord.Locale | None) -> str:
    """The user's Discord language: zh-TW, zh-CN (shown in Simplified) or English."""
    return {discord.Locale.taiwan_chinese: ZH, discord.Locale.chinese: ZH_CN}.get(locale, EN)


MESSAGES: dict[str, dict[str, str]] = {
    # errors, in plain words
    "error.empty": {
        EN: "Please write a question about the papers.",
        ZH: "請輸入關於論文的問題。",
    },
    "error.too_long": {
        EN: "Your question is {length} characters long; the limit is {limit}. Please shorten it.",
        ZH: "你的問題有 {length} 個字，上限是 {limit} 個字，請縮短後再問。",
    },
    "error.unknown_topic": {
        EN: "No paper ID or topic matches {target}. `/topics` lists the topics.",
        ZH: "找不到符合 {target} 的論文 ID 或主題。可以用 `/topics` 查看所有主題。",
    },
    "error.compare_count": {
        EN: "`/compare` takes 2 to 4 arXiv IDs separated by spaces; you gave {count}.",
        ZH: "`/compare` 需要 2 到 4 個以空格分隔的 arXiv ID，你提供了 {count} 個。",
    },
    "error.compare_repeated": {
        EN: "{ids} is given more than once; please list different papers.",
        ZH: "{ids} 重複出現，請列出不同的論文。",
    },
    "error.bad_id": {
        EN: "{text} is not an arXiv ID. Valid forms: {forms}.",
        ZH: "{text} 不是 arXiv ID。可用的格式：{forms}。",
    },
    "error.unknown_id": {
        EN: "{arxiv_id} is not in the paper list.",
        ZH: "論文清單中沒有 {arxiv_id}。",
    },
    "paper.not_listed": {
        EN: "{arxiv_id} is not in the paper list; `/add {arxiv_id}` adds it from arXiv.",
        ZH: "論文清單中沒有 {arxiv_id}；可用 `/add {arxiv_id}` 從 arXiv 加入。",
    },
    "error.store": {
        EN: "The paper store is unreachable right now, so I can't search it; `/paper` and `/topics` still work. "
            "Please try again in a few minutes.",
        ZH: "論文資料庫暫時無法連線，所以無法搜尋；`/paper` 與 `/topics` 仍可使用。請過幾分鐘再試。",
    },
    "error.unexpected": {
        EN: "Something went wrong on my side and the operator has been told. Please try again later.",
        ZH: "我這邊出了問題，已通知管理者。請稍後再試。",
    },
    "error.admin_only": {
        EN: "Only members with the Manage Server permission can do this.",
        ZH: "只有具備「管理伺服器」權限的成員可以使用這個指令。",
    },
    "error.guild_only": {
        EN: "This command only works in a server.",
        ZH: "這個指令只能在伺服器中使用。",
    },
    "restart.sorry": {
        EN: "Sorry: paperbot restarted while writing this answer, so it was lost. Please ask again.",
        ZH: "抱歉：paperbot 在寫這個回答時重新啟動了，回答因此遺失。請再問一次。",
    },
    "queue.waiting": {
        EN: "⏳ The model is busy with other questions: yours is number {place} in line and starts soon.",
        ZH: "⏳ 模型正在回答其他問題：你的問題排在第 {place} 位，很快就會開始。",
    },
    "cooldown": {
        EN: "One moment: you can ask again in {seconds} s.",
        ZH: "請稍候，{seconds} 秒後可以再次提問。",
    },
    "ask.hint": {
        EN: "Ask me something about the papers, e.g. “How can graphs help RAG?”",
        ZH: "問我任何關於論文的問題，例如「圖結構如何幫助 RAG？」",
    },
    "paper.suggestions": {
        EN: "Did you mean:",
        ZH: "你是不是要找：",
    },
    # digest
    "digest.title": {
        EN: "Weekly digest · {since} – {until}",
        ZH: "每週論文摘要 · {since} – {until}",
    },
    "digest.preview_title": {
        EN: "New papers since {since}",
        ZH: "{since} 以來的新論文",
    },
    "digest.set": {
        EN: "The weekly digest goes to {channel} every {weekday} at {time} ({timezone}). Next one: {next}.",
        ZH: "每週論文摘要將於每{weekday} {time}（{timezone}）發佈到 {channel}。下一次：{next}。",
    },
    "digest.off": {
        EN: "The weekly digest is off for this server.",
        ZH: "已停止本伺服器的每週論文摘要。",
    },
    "digest.bad_time": {
        EN: "{time} is not a time of day like 09:00 (24-hour).",
        ZH: "{time} 不是有效的時間，請用 24 小時制，例如 09:00。",
    },
    "digest.bad_timezone": {
        EN: "{timezone} is not a timezone like Asia/Taipei.",
        ZH: "{timezone} 不是有效的時區，例如 Asia/Taipei。",
    },
    "digest.cannot_post": {
        EN: "I can't post in {channel}: I need View Channel, Send Messages and Embed Links there.",
        ZH: "我無法在 {channel} 發文：需要該頻道的「檢視頻道」、「發送訊息」和「嵌入連結」權限。",
    },
    # /reload
    "reload.done": {
        EN: "Re-read the tables: {added} added, {updated} updated, {unchanged} unchanged, {skipped} rows skipped; "
            "{total} papers in the list.",
        ZH: "已重新匯入表格：新增 {added} 篇、更新 {updated} 篇、未變 {unchanged} 篇、略過 {skipped} 列；"
            "清單中共 {total} 篇論文。",
    },
    "reload.skipped": {EN: "Skipped rows:", ZH: "略過的列："},
    "reload.enriched": {EN: "arXiv: abstracts and authors for {n} paper(s); {unknown} not on arXiv.",
                        ZH: "arXiv：{n} 篇論文取得摘要與作者；{unknown} 篇不在 arXiv 上。"},
    "reload.arxiv_down": {EN: "arXiv could not be reached: abstracts and authors are looked up at the next reload.",
                          ZH: "無法連線到 arXiv：摘要與作者將在下次重新匯入時查詢。"},
    "reload.meaning": {EN: "Meaning: all {total} papers read by the multilingual model.",
                       ZH: "語意：{total} 篇論文皆已由多語言模型讀過。"},
    "reload.meaning_filling": {EN: "Meaning: {have} of {total} papers read by the multilingual model; the rest "
                                   "fill in while I answer.",
                               ZH: "語意：多語言模型已讀 {have} / {total} 篇論文，其餘會在回答問題的同時補上。"},
    "reload.missing": {EN: "Missing table files: {paths}", ZH: "找不到表格檔案：{paths}"},
    # /add
    "add.not_allowed": {EN: "Only members who may manage messages can add papers to the list.",
                        ZH: "只有具備「管理訊息」權限的成員可以新增論文到清單。"},
    "add.not_allowed_role": {EN: "Only members with the {role} role can add papers to the list.",
                             ZH: "只有具備 {role} 身分組的成員可以新增論文到清單。"},
    "add.empty": {EN: "Give at least one arXiv ID or link, e.g. 2406.01234.",
                  ZH: "請至少提供一個 arXiv ID 或連結，例如 2406.01234。"},
    "add.too_many": {EN: "At most {limit} papers at once; you gave {count}.",
                     ZH: "一次最多新增 {limit} 篇論文，你提供了 {count} 篇。"},
    "add.added": {EN: "{user} added {n} paper(s) to the list: in every search now and in the next weekly digest.",
                  ZH: "{user} 新增了 {n} 篇論文到清單：現在就能搜尋到，也會列入下一次每週摘要。"},
    "add.listed": {EN: "`{id}` is already in the list.", ZH: "`{id}` 已經在清單中。"},
    "add.unknown": {EN: "arXiv has no paper `{id}`; check the ID.", ZH: "arXiv 上沒有 `{id}` 這篇論文，請確認 ID。"},
    "add.withdrawn": {EN: "`{id}` was withdrawn from arXiv by its authors, so it is not added.",
                      ZH: "`{id}` 已被作者從 arXiv 撤回，因此不新增。"},
    "add.failed": {EN: "`{id}` was not added: {reason} Nothing was written; try again later.",
                   ZH: "`{id}` 沒有新增：{reason} 沒有寫入任何內容，請稍後再試。"},
    "add.draft": {EN: "No language model is configured, so the summary is the English abstract until "
                      "`paperbot ingest` runs with one.",
                  ZH: "未設定語言模型，因此摘要暫時是英文摘要，待設定模型後執行 `paperbot ingest` 會寫入中文摘要。"},
    "add.offer": {EN: "Not in the list yet: {ids}", ZH: "尚未在清單中：{ids}"},
    "add.button": {EN: "Add {id} to the list", ZH: "將 {id} 加入清單"},
    # /usage
    "usage.title": {EN: "Model use since {since} (UTC)", ZH: "{since} 起的模型用量（UTC）"},
    "usage.month": {EN: "This month", ZH: "本月"},
    "usage.today": {EN: "Today", ZH: "今天"},
    "usage.cache": {EN: "Answer cache", ZH: "回答快取"},
    "usage.saved": {EN: "{hits} answers served from the cache this month, saving {saved}",
                    ZH: "本月有 {hits} 個回答取自快取，省下 {saved}"},
    "usage.line": {EN: "{calls} calls ({cached} cached) · {tokens} tokens · {cost}",
                   ZH: "{calls} 次呼叫（{cached} 次快取）· {tokens} 個 token · {cost}"},
    "usage.unpriced": {EN: "calls of a model without a price", ZH: "次呼叫的模型未設定價格"},
    "usage.by_user": {EN: "By member", ZH: "依成員"},
    "usage.by_operation": {EN: "By operation", ZH: "依功能"},
    "usage.by_model": {EN: "By model", ZH: "依模型"},
    "usage.estimated": {EN: "{n} calls were counted locally: the model server reported no token usage for them.",
                        ZH: "有 {n} 次呼叫的 token 數為本機估算：模型伺服器沒有回報用量。"},
    # labels in embeds
    "label.sources": {EN: "Sources", ZH: "來源"},
    "label.also": {EN: "Also relevant", ZH: "其他相關論文"},
    "label.date": {EN: "Date", ZH: "日期"},
    "label.topics": {EN: "Topics", ZH: "主題"},
    "label.authors": {EN: "Authors", ZH: "作者"},
    "label.picture": {EN: "In the picture", ZH: "圖片內容"},
    "label.offline": {EN: "offline extracts", ZH: "離線摘錄"},
    "label.model": {EN: "model: {model}", ZH: "模型：{model}"},
    "label.cached": {EN: "from the answer cache, no model call", ZH: "取自回答快取，未呼叫模型"},
    "label.papers": {EN: "{count} papers", ZH: "{count} 篇論文"},
    "label.paper": {EN: "1 paper", ZH: "1 篇論文"},
    "title.summarize": {EN: "Summary · {target}", ZH: "摘要 · {target}"},
    "title.compare": {EN: "Comparison · {ids}", ZH: "比較 · {ids}"},
    "title.recommend": {EN: "Recommended · {target}", ZH: "推薦 · {target}"},
    "title.topics": {EN: "Topics ({count})", ZH: "主題（{count}）"},
    "title.search": {EN: "Search · {query}", ZH: "搜尋 · {query}"},
    "search.none": {EN: "No paper in the list matches. Try other words, or `/topics`.",
                    ZH: "清單中沒有符合的論文。請換個說法，或用 `/topics` 查看主題。"},
}

WEEKDAY_NAMES = {
    EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    ZH: ("週一", "週二", "週三", "週四", "週五", "週六", "週日"),
}


def t(key: str, language: str, **params) -> str:
    return localise(MESSAGES[key][base_language(language)].format(**params), language)


def papers_label(count: int, language: str) -> str:
    return t("label.paper", language) if count == 1 else t("label.papers", language, count=count)


# -- command descriptions and option names, for the sync payload ------------------
ZH_DESCRIPTIONS = {
    "Ask a question about the papers; the answer cites its sources": "詢問關於論文的問題，回答會附上引用來源",
    "Your question, in English or Chinese": "你的問題（中文或英文）",
    "Look a paper up by arXiv ID, or type part of a title": "以 arXiv ID 查詢論文，或輸入部分標題搜尋",
    "arXiv ID or URL, e.g. 2405.14831": "arXiv ID 或網址，例如 2405.14831",
    "Summarise one paper (arXiv ID) or every paper on a topic": "摘要一篇論文（arXiv ID）或某個主題的所有論文",
    "An arXiv ID or a topic": "arXiv ID 或主題",
    "Compare 2 to 4 papers side by side": "並列比較 2 到 4 篇論文",
    "2 to 4 arXiv IDs separated by spaces": "2 到 4 個以空格分隔的 arXiv ID",
    "Papers for an interest, or more papers like one (arXiv ID)": "依興趣推薦論文，或推薦與某篇論文（arXiv ID）相似的論文",
    "What you are interested in, or an arXiv ID": "你感興趣的主題，或一個 arXiv ID",
    "How many papers (1-10)": "推薦幾篇（1–10）",
    "Preview the digest of recently added papers": "預覽最近新增論文的摘要",
    "How many days back (default 7)": "往回看幾天（預設 7 天）",
    "Every topic in the list, with its number of papers": "清單中的所有主題與論文數",
    "Admin: where and when the weekly digest is posted": "管理員：設定每週論文摘要的發佈頻道與時間",
    "Channel for the weekly digest (leave empty to stop the digest)": "每週摘要的頻道（留空則停止發佈）",
    "Day of the week (default from the config)": "星期幾（預設依設定檔）",
    "Time of day, 24-hour HH:MM (default from the config)": "時間，24 小時制 HH:MM（預設依設定檔）",
    "Timezone such as Asia/Taipei (default from the config)": "時區，例如 Asia/Taipei（預設依設定檔）",
    "Admin: re-read the paper tables into the knowledge base": "管理員：重新匯入論文表格到知識庫",
    "Admin: what the model cost this month and today, and who used it": "管理員：本月與今天的模型花費及使用者",
    "Add papers to the list by arXiv ID or link": "以 arXiv ID 或連結新增論文到清單",
    "The best papers for a question, an author or a topic": "依問題、作者或主題搜尋最相關的論文",
    "What to look for, in English or Chinese": "要找什麼（中文或英文）",
    "Part of an author's name": "作者姓名的一部分",
    "Only papers on this topic": "只列出這個主題的論文",
    "arXiv IDs or links, separated by spaces": "arXiv ID 或連結，以空格分隔",
}
# Option and choice names only: command names stay English so `/ask` works in every client.
ZH_NAMES = {
    "question": "問題",
    "query": "關鍵字",
    "author": "作者",
    "topic": "主題",
    "id": "論文",
    "target": "對象",
    "papers": "論文列表",
    "interest": "興趣",
    "count": "篇數",
    "days": "天數",
    "channel": "頻道",
    "weekday": "星期",
    "time": "時間",
    "timezone": "時區",
    **dict(zip(WEEKDAY_NAMES[EN], WEEKDAY_NAMES[ZH])),
}

# -- feedback, saved papers, follows (bot/cogs/feedback.py, people.py, follows.py) --------
MESSAGES.update({
    "vote.up": {
        EN: "👍 Thanks! Your vote is noted; you can change it any time.",
        ZH: "👍 謝謝！已記下你的評價，隨時可以更改。",
    },
    "vote.down": {
        EN: "👎 Noted ({reason}). Thank you: this helps make the answers better.",
        ZH: "👎 已記下（{reason}）。謝謝，這能幫助改進回答。",
    },
    "vote.gone": {
        EN: "This answer is no longer stored, so it can't take votes.",
        ZH: "這則回答已不再保存，無法評價。",
    },
    "vote.modal_title": {EN: "👎 What was wrong? (optional)", ZH: "👎 哪裡不好？（可略過）"},
    "vote.reason_label": {EN: "Reason", ZH: "原因"},
    "vote.note_label": {EN: "Anything to add?", ZH: "想補充什麼嗎？"},
    "reason.wrong_paper": {EN: "Wrong paper", ZH: "找錯論文"},
    "reason.wrong_facts": {EN: "Wrong facts", ZH: "內容有誤"},
    "reason.missing_paper": {EN: "A paper is missing", ZH: "漏了某篇論文"},
    "reason.language": {EN: "Language", ZH: "語言問題"},
    "reason.other": {EN: "Other", ZH: "其他"},
    "reason.none": {EN: "no reason given", ZH: "未說明原因"},
    "feedback.title": {EN: "Feedback · {up} 👍 · {down} 👎 on {answers} answers",
                       ZH: "回饋 · {up} 👍 · {down} 👎（{answers} 則回答）"},
    "feedback.since": {EN: "Votes since {date}", ZH: "自 {date} 起的評價"},
    "feedback.none": {EN: "No votes on answers in this server yet.", ZH: "本伺服器的回答還沒有任何評價。"},
    "feedback.by_operation": {EN: "By command", ZH: "依指令"},
    "feedback.by_mode": {EN: "By mode", ZH: "依模式"},
    "feedback.by_model": {EN: "By model", ZH: "依模型"},
    "feedback.reasons": {EN: "👎 reasons", ZH: "👎 原因"},
    "save.label": {EN: "Save", ZH: "收藏"},
    "save.pick": {EN: "⭐ Save papers from this answer…", ZH: "⭐ 收藏這則回答中的論文…"},
    "save.done": {
        EN: "⭐ Saved {title}. `/saved` lists your {count} saved papers; only you can see them.",
        ZH: "⭐ 已收藏 {title}。用 `/saved` 查看你收藏的 {count} 篇論文，只有你看得到。",
    },
    "save.already": {EN: "{title} is already in your saved papers (`/saved`).", ZH: "{title} 已在你的收藏中（`/saved`）。"},
    "save.full": {
        EN: "You have saved {limit} papers, the most I keep: remove some with `/saved` first.",
        ZH: "你已收藏 {limit} 篇論文，已達上限：請先用 `/saved` 移除一些。",
    },
    "saved.title": {EN: "Your saved papers ({count})", ZH: "你收藏的論文（{count}）"},
    "saved.empty": {
        EN: "You have no saved papers yet: press ⭐ under an answer or on a `/paper` card.",
        ZH: "你還沒有收藏任何論文：在回答下方或 `/paper` 卡片上按 ⭐ 即可收藏。",
    },
    "saved.page": {EN: "Page {page}/{pages} · only you can see this", ZH: "第 {page}/{pages} 頁 · 只有你看得到"},
    "saved.gone": {EN: "no longer in the list", ZH: "已不在清單中"},
    "recommend.no_saved": {
        EN: "You have no saved papers to start from: press ⭐ under an answer or on a `/paper` card, "
            "or give `/recommend` an interest.",
        ZH: "你還沒有收藏論文可供推薦：在回答下方或 `/paper` 卡片上按 ⭐ 收藏，或在 `/recommend` 輸入興趣。",
    },
    "title.recommend_saved": {EN: "Recommended · like your saved papers", ZH: "推薦 · 與你收藏的論文相近"},
    "follow.need_one": {
        EN: "Tell me what to follow: a `topic`, an `author` or an `interest`.",
        ZH: "請指定要追蹤的內容：`主題`、`作者` 或 `興趣`。",
    },
    "follow.new_topic": {
        EN: "No paper in the list has a topic like {topic} yet (`/topics` lists them); new ones will count.",
        ZH: "清單中目前沒有主題符合 {topic} 的論文（可以用 `/topics` 查看）；之後新增的論文會列入。",
    },
    "follow.done": {
        EN: "You follow {what}. Each week, after this server's digest, I'll DM you the new papers that match "
            "(at most {limit}, best first); nothing when none do. `/following` lists and removes; "
            "`/forget-me` stops everything.",
        ZH: "你已追蹤 {what}。每週在本伺服器的論文摘要之後，我會私訊你符合的新論文（最多 {limit} 篇，最相關的在前）；"
            "沒有符合的就不會打擾你。用 `/following` 查看或移除；用 `/forget-me` 停止一切。",
    },
    "follow.already": {EN: "You already follow {what}.", ZH: "你已經追蹤了 {what}。"},
    "follow.full": {
        EN: "You follow {limit} things already, the most I keep: remove some with `/following` first.",
        ZH: "你已追蹤 {limit} 項，已達上限：請先用 `/following` 移除一些。",
    },
    "follow.no_author": {
        EN: "No paper in the list names {author} as an author yet (authors come from arXiv); new ones will count.",
        ZH: "清單中目前沒有作者為 {author} 的論文（作者資料來自 arXiv）；之後新增的論文會列入。",
    },
    "follow.dms_closed": {
        EN: "⚠️ I can't send you direct messages: your DMs are closed. To get the weekly papers, allow direct "
            "messages from members of this server (server name → Privacy Settings), then run `/follow` again.",
        ZH: "⚠️ 我無法私訊你：你的私訊已關閉。若要收到每週論文，請允許本伺服器成員私訊你"
            "（伺服器名稱 → 隱私設定），然後再執行一次 `/follow`。",
    },
    "follow.no_digest": {
        EN: "This server has no weekly digest yet: your DMs start once an admin sets one up with `/digest-channel`.",
        ZH: "本伺服器尚未設定每週論文摘要：管理員用 `/digest-channel` 設定後，私訊才會開始。",
    },
    "follow.welcome": {
        EN: "Hi! You follow papers in paperbot. Each week, after the digest of {guild}, I'll send the new papers "
            "that match here. `/following` changes what you follow; `/forget-me` stops this and deletes "
            "everything I keep about you.",
        ZH: "你好！你在 paperbot 追蹤了論文。每週在 {guild} 的論文摘要之後，我會在這裡寄給你符合的新論文。"
            "用 `/following` 修改追蹤內容；用 `/forget-me` 停止並刪除我保存的你的所有資料。",
    },
    "follow.topic": {EN: "the topic {value}", ZH: "主題 {value}"},
    "follow.author": {EN: "the author {value}", ZH: "作者 {value}"},
    "follow.interest": {EN: "the interest {value}", ZH: "興趣 {value}"},
    "following.title": {EN: "What you follow ({count})", ZH: "你追蹤的內容（{count}）"},
    "following.empty": {
        EN: "You follow nothing: `/follow` a topic, an author or an interest to get a weekly DM of new papers.",
        ZH: "你目前沒有追蹤任何內容：用 `/follow` 追蹤主題、作者或興趣，每週就會收到新論文私訊。",
    },
    "following.footer": {
        EN: "Weekly DM after the digest of the server where you last used /follow · only you can see this",
        ZH: "每週私訊在你最後使用 /follow 的伺服器的論文摘要之後寄出 · 只有你看得到",
    },
    "following.paused": {
        EN: "⚠️ Your weekly DMs are paused: I couldn't reach you. Open your DMs, then run `/follow` again.",
        ZH: "⚠️ 每週私訊已暫停：我無法私訊你。請開啟私訊後再執行一次 `/follow`。",
    },
    "dm.title": {EN: "New papers for you · {since} – {until}", ZH: "為你挑選的新論文 · {since} – {until}"},
    "dm.because": {EN: "matches {follows}", ZH: "符合 {follows}"},
    "dm.footer": {
        EN: "You follow these in paperbot · /following to change · /forget-me to stop",
        ZH: "你在 paperbot 追蹤了這些內容 · /following 修改 · /forget-me 停止",
    },
    "forget.done": {
        EN: "Done. I deleted {votes} votes, {saved} saved papers, {follows} follows (weekly DMs stopped) and "
            "{questions} questions you asked, with their answers. Nothing else about you is stored.",
        ZH: "完成。已刪除 {votes} 筆評價、{saved} 篇收藏、{follows} 項追蹤（每週私訊已停止），以及你提出的 "
            "{questions} 個問題與其回答。不再保存任何關於你的資料。",
    },
})
ZH_DESCRIPTIONS.update({
    "What you are interested in, or an arXiv ID (empty: more like your saved papers)":
        "你感興趣的主題或 arXiv ID（留空：推薦與你收藏的論文相近的論文）",
    "Your saved papers (only you see them), with remove buttons": "你收藏的論文（只有你看得到），可移除",
    "Follow a topic, an author or an interest: new papers come by DM each week": "追蹤主題、作者或興趣：每週以私訊寄送新論文",
    "A topic from the list": "清單中的主題",
    "An author's name, as arXiv lists it": "作者姓名（依 arXiv 的寫法）",
    "Anything you want to read about, in your words": "任何你想讀的內容，用你自己的話描述",
    "What you follow, with remove buttons": "你追蹤的內容，可移除",
    "Stop everything and delete what paperbot keeps about you": "停止所有功能並刪除 paperbot 保存的你的資料",
    "Admin: 👍/👎 counts on the bot's answers in this server": "管理員：本伺服器回答的 👍/👎 統計",
    "Only votes from the last N days (default: all)": "只計算最近幾天的評價（預設：全部）",
})


class CommandTranslator(app_commands.Translator):
    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContext) -> str | None:
        if locale is not discord.Locale.taiwan_chinese:
            return None
        if context.location in (Where.parameter_name, Where.choice_name):
            return ZH_NAMES.get(string.message)
        if context.location in (Where.command_description, Where.group_description, Where.parameter_description):
            return ZH_DESCRIPTIONS.get(string.message)
        return None

# -- the paper club (bot/cogs/club.py, bot/club_*.py) -------------------------------------
MESSAGES.update({
    "error.club_already": {EN: "**{title}** is already nominated for the next vote.",
                           ZH: "「{title}」已經被提名參加下一次投票。"},
    "error.club_mine_full": {EN: "You have {limit} nominations waiting already: the vote takes them first.",
                             ZH: "你已有 {limit} 篇提名在等待投票，請等投票後再提名。"},
    "error.club_full": {EN: "{limit} papers are waiting for the vote already: nominate again after the next vote.",
                        ZH: "已有 {limit} 篇論文在等待投票，請在下一次投票後再提名。"},
    "error.club_empty_note": {EN: "Write a few words: what did you take away?", ZH: "請寫幾個字：你的收穫是什麼？"},
    "error.club_notes_full": {EN: "You have written {limit} takeaways for this session, the most I keep.",
                              ZH: "你已為這次聚會留下 {limit} 則心得，已達上限。"},
    "error.club_no_paper": {EN: "No paper in the list matches {text}: pick one from the suggestions, or give an "
                                "arXiv ID or link.",
                            ZH: "清單中沒有符合 {text} 的論文：請從建議中選擇，或輸入 arXiv ID 或連結。"},
    "club.marker": {EN: "-# 📚 paper club · {date} · {step} · #{id}", ZH: "-# 📚 讀書會 · {date} · {step} · #{id}"},
    "club.marker_slot": {EN: "-# 📚 paper club · {date} · {step}", ZH: "-# 📚 讀書會 · {date} · {step}"},
    "club.step.vote": {EN: "vote", ZH: "投票"},
    "club.step.winner": {EN: "winner", ZH: "結果"},
    "club.step.thread": {EN: "discussion", ZH: "討論"},
    "club.step.day": {EN: "a day before", ZH: "前一天提醒"},
    "club.step.hour": {EN: "an hour before", ZH: "前一小時提醒"},
    "club.step.meeting": {EN: "meeting", ZH: "聚會"},
    "club.step.none": {EN: "no vote", ZH: "無投票"},
    "club.nominated": {EN: "🗳️ {user} nominated **{title}** for the paper club.",
                       ZH: "🗳️ {user} 提名「{title}」給讀書會。"},
    "club.place_next": {EN: "It is on the ballot of the next vote ({when}): {place} of {count}.",
                        ZH: "它會列入下一次投票（{when}）：目前第 {place} 篇，共 {count} 篇。"},
    "club.place_later": {EN: "It is number {place} in line, and a vote holds {limit} papers: it waits for a later "
                             "vote.",
                         ZH: "它排在第 {place} 位，而一次投票最多 {limit} 篇：它會留到之後的投票。"},
    "club.no_schedule": {EN: "No vote is scheduled yet: an admin sets the club up with `/club schedule`.",
                         ZH: "目前尚未排定投票：管理員可用 `/club schedule` 設定讀書會。"},
    "error.club_not_listed": {EN: "`{id}` is not in the list yet, and only members who can `/add` papers bring new ones "
                            "in. Ask one of them, or nominate a paper from the list.",
                        ZH: "`{id}` 尚未在清單中，只有能使用 `/add` 的成員可以加入新論文。請找他們幫忙，或提名清單中的論文。"},
    "club.set": {EN: "📚 The paper club meets in {channel} every {weekday} at {time} ({timezone}). At each meeting "
                     "the vote for the next week's paper opens there, for {hours} hours. First vote: {next}. "
                     "`/club vote` opens one now.",
                 ZH: "📚 讀書會每{weekday} {time}（{timezone}）在 {channel} 聚會。每次聚會時，下週論文的投票也在那裡開始，"
                     "為期 {hours} 小時。第一次投票：{next}。用 `/club vote` 可以立即開始投票。"},
    "club.off": {EN: "The paper club's schedule is off. Nominations, past sessions and notes are kept.",
                 ZH: "已停止讀書會的排程。提名、過去的聚會與心得都會保留。"},
    "club.cannot_post": {EN: "I can't run the club in {channel}: I need View Channel, Send Messages, Embed Links, "
                             "Create Public Threads and Send Messages in Threads there.",
                         ZH: "我無法在 {channel} 舉辦讀書會：需要該頻道的「檢視頻道」、「發送訊息」、「嵌入連結」、"
                             "「建立公開討論串」和「在討論串中發送訊息」權限。"},
    "club.vote_open": {EN: "🗳️ The vote is open in {channel} until {closes}; the session meets {meets}.",
                       ZH: "🗳️ 投票已在 {channel} 開始，{closes} 截止；聚會時間是 {meets}。"},
    "club.vote_running": {EN: "A vote is open already, until {closes}.", ZH: "已經有投票在進行中，{closes} 截止。"},
    "club.vote_waiting": {EN: "The next session, on **{title}**, meets {meets}; the vote for the one after opens then.",
                          ZH: "下一次聚會討論「{title}」，時間是 {meets}；再下一次的投票會在那時開始。"},
    "club.vote_nothing": {EN: "Nothing to vote on yet: members nominate papers with `/club nominate`.",
                          ZH: "目前沒有可投票的論文：成員可以用 `/club nominate` 提名論文。"},
    "club.vote_no_channel": {EN: "The club has no channel yet: set it up with `/club schedule`.",
                             ZH: "讀書會尚未設定頻道：請先用 `/club schedule` 設定。"},
    "club.poll_question": {EN: "Which paper do we read for {date}?", ZH: "{date} 的讀書會要讀哪一篇？"},
    "club.poll_intro": {EN: "🗳️ **Vote for the paper club's next paper!** The vote closes {closes}; we meet {meets} "
                            "({weekday} {time}, {timezone}).",
                        ZH: "🗳️ **投票選出讀書會的下一篇論文！**投票於 {closes} 截止；聚會時間是 {meets}"
                            "（{weekday} {time}，{timezone}）。"},
    "club.poll_by": {EN: "nominated by {user}", ZH: "由 {user} 提名"},
    "club.poll_waiting": {EN: "{count} more nominations wait for the next vote.", ZH: "還有 {count} 篇提名留待下一次投票。"},
    "club.winner": {EN: "🏆 **{title}** won the vote with {votes} of {total} votes. We meet {meets} ({weekday} {time}, "
                        "{timezone}); the summary, the questions and the reminders are in the thread below.",
                    ZH: "🏆「{title}」以 {votes} 票（共 {total} 票）勝出。聚會時間是 {meets}（{weekday} {time}，{timezone}）；"
                        "摘要、討論問題與提醒都在下方的討論串。"},
    "club.tie": {EN: "It tied with {others} at {votes} votes: the paper nominated first goes first.",
                 ZH: "它與 {others} 同為 {votes} 票：先被提名的論文優先。"},
    "club.no_votes": {EN: "Nobody voted, so the paper nominated first goes first.",
                      ZH: "沒有人投票，因此由最先被提名的論文優先。"},
    "club.others": {EN: "The other papers can be nominated again.", ZH: "其他論文可以再次提名。"},
    "club.thread_name": {EN: "📚 {title} · {date}", ZH: "📚 {title} · {date}"},
    "club.opening": {EN: "📖 Read **{title}** before {meets}. Press 🔔 to be reminded (and mentioned) a day and an hour "
                         "before; nobody else is mentioned.",
                     ZH: "📖 請在 {meets} 之前讀完「{title}」。按 🔔 會在聚會前一天與前一小時提醒（並提及）你；不會提及其他人。"},
    "club.summary_title": {EN: "Summary", ZH: "摘要"},
    "club.questions_title": {EN: "Questions for the discussion", ZH: "討論問題"},
    "club.questions_llm": {EN: "Written by {model}; each checked against the paper.",
                           ZH: "由 {model} 撰寫，每題都已對照論文檢查。"},
    "club.summary_llm": {EN: "Written by {model}; every sentence checked against the paper.",
                         ZH: "由 {model} 撰寫，每一句都已對照論文檢查。"},
    "club.questions_offline": {EN: "From the paper's own problem, method and results.",
                               ZH: "取自論文本身的問題、方法與結果。"},
    "club.remind_label": {EN: "Remind me", ZH: "提醒我"},
    "club.remind_day": {EN: "🔔 {mentions}We meet **tomorrow**, {meets} ({weekday} {time}, {timezone}), to discuss "
                            "**{title}**. The questions are at the top of this thread.",
                        ZH: "🔔 {mentions}明天 {meets}（{weekday} {time}，{timezone}）聚會討論「{title}」。"
                            "討論問題在這個討論串的最上方。"},
    "club.remind_hour": {EN: "🔔 {mentions}We meet **in an hour**, {meets} ({time}, {timezone}), to discuss **{title}**.",
                         ZH: "🔔 {mentions}一小時後（{meets}，{time}，{timezone}）聚會討論「{title}」。"},
    "club.meeting": {EN: "📝 It's time: the session on **{title}** starts now. Afterwards, add what you took away with "
                         "the button or `/club notes`, and press ✅ if you were there. `/ask` remembers it: try "
                         "“what did we conclude about {name}?”",
                     ZH: "📝 時間到了：「{title}」的討論現在開始。結束後請用下方按鈕或 `/club notes` 留下你的心得，"
                         "有參加的話按 ✅。`/ask` 會記得：試試「我們對 {name} 的結論是什麼？」"},
    "club.note_label": {EN: "Add a takeaway", ZH: "留下心得"},
    "club.here_label": {EN: "I was there", ZH: "我有參加"},
    "club.note_modal": {EN: "Your takeaway", ZH: "你的心得"},
    "club.note_field": {EN: "What did you take away?", ZH: "你的收穫是什麼？"},
    "club.no_nominations": {EN: "🗳️ No papers were nominated, so there is no vote this week. Nominate one with "
                                "`/club nominate` for the next.",
                            ZH: "🗳️ 這週沒有人提名論文，所以沒有投票。請用 `/club nominate` 為下一次提名。"},
    "club.remind_on": {EN: "🔔 I'll mention you in this thread a day and an hour before the meeting ({meets}). "
                           "Press again to stop.",
                       ZH: "🔔 我會在聚會（{meets}）前一天與前一小時，在這個討論串提及你。再按一次即可取消。"},
    "club.remind_off": {EN: "🔕 No reminders for this session.", ZH: "🔕 已取消這次聚會的提醒。"},
    "club.remind_past": {EN: "This session has met already.", ZH: "這次聚會已經結束了。"},
    "club.here_on": {EN: "✅ Noted: you were at the session on **{title}**. Press again if that's a mistake.",
                     ZH: "✅ 已記下：你參加了「{title}」的聚會。按錯的話再按一次。"},
    "club.here_off": {EN: "Attendance removed for the session on **{title}**.", ZH: "已取消你在「{title}」聚會的出席紀錄。"},
    "club.noted": {EN: "📝 Noted: your takeaway for **{title}** ({count} so far), shared in its thread. `/ask` finds "
                       "it: try “what did we conclude about {name}?”",
                   ZH: "📝 已記下你對「{title}」的心得（目前共 {count} 則），並分享到討論串。`/ask` 找得到："
                       "試試「我們對 {name} 的結論是什麼？」"},
    "club.notes_early": {EN: "The session on **{title}** meets {meets}: takeaways open after the meeting.",
                         ZH: "「{title}」的聚會時間是 {meets}：聚會之後才能留下心得。"},
    "club.notes_none": {EN: "No session has met yet: takeaways open after the first meeting.",
                        ZH: "還沒有任何聚會：第一次聚會之後才能留下心得。"},
    "club.note_posted": {EN: "📝 {user}: {text}", ZH: "📝 {user}：{text}"},
    "club.forgotten": {EN: "From the paper club: {takeaways} takeaways and {nominations} waiting nominations deleted; "
                           "your past nominations stay in its history without your name.",
                       ZH: "讀書會：已刪除 {takeaways} 則心得與 {nominations} 篇等待中的提名；過去的提名保留在紀錄中，但不再顯示你的名字。"},
    "club.history_title": {EN: "📚 Paper club · {count} sessions", ZH: "📚 讀書會 · 共 {count} 次聚會"},
    "club.history_title_one": {EN: "📚 Paper club · 1 session", ZH: "📚 讀書會 · 共 1 次聚會"},
    "club.how": {
        EN: "**How the paper club works**\n"
            "1. Anyone nominates a paper: `/club nominate` (an arXiv ID or link, or a title from the suggestions), "
            "or 🗳 on `/saved`. A paper not in the list yet comes in as with `/add`.\n"
            "2. At the scheduled time a poll opens in the club channel with up to 10 nominated papers; the most votes "
            "wins, and a tie goes to the paper nominated first.\n"
            "3. The winner gets a thread with its summary and questions for the discussion; press 🔔 there to be "
            "reminded a day and an hour before the meeting.\n"
            "4. After the meeting, add your takeaways with `/club notes`. `/club history` keeps every session, and "
            "`/ask` answers “what did we conclude about …?” from them.",
        ZH: "**讀書會怎麼運作**\n"
            "1. 任何人都可以提名論文：`/club nominate`（arXiv ID、連結，或從建議中選擇標題），或在 `/saved` 按 🗳。"
            "尚未在清單中的論文會像 `/add` 一樣加入。\n"
            "2. 到了排定的時間，讀書會頻道會開啟投票，最多列出 10 篇提名的論文；票數最多者勝出，同票時由先被提名的論文優先。\n"
            "3. 勝出的論文會有一個討論串，附上摘要與討論問題；在那裡按 🔔，聚會前一天與前一小時會提醒你。\n"
            "4. 聚會後用 `/club notes` 留下心得。`/club history` 保存每次聚會，`/ask` 也能回答「我們對……的結論是什麼？」。"},
    "club.schedule_line": {EN: "Meets every {weekday} at {time} ({timezone}) in {channel}; next vote: {next}.",
                           ZH: "每{weekday} {time}（{timezone}）在 {channel} 聚會；下一次投票：{next}。"},
    "club.unscheduled": {EN: "Not scheduled yet: an admin runs `/club schedule`.",
                         ZH: "尚未排定：請管理員執行 `/club schedule`。"},
    "club.upcoming_vote": {EN: "🗳️ A vote is open until {closes}.", ZH: "🗳️ 投票進行中，{closes} 截止。"},
    "club.upcoming_meet": {EN: "📖 Next: **{title}**, {meets}.", ZH: "📖 下一次：「{title}」，{meets}。"},
    "club.waiting_title": {EN: "Nominated for the next vote ({count})", ZH: "下一次投票的提名（{count}）"},
    "club.waiting_none": {EN: "Nothing nominated yet.", ZH: "目前沒有提名。"},
    "club.session_line": {EN: "{votes}/{total} votes · {attended} attended · {count} takeaways",
                          ZH: "{votes}/{total} 票 · {attended} 人參加 · {count} 則心得"},
    "club.thread_link": {EN: "thread", ZH: "討論串"},
})
ZH_DESCRIPTIONS.update({
    "The paper club: nominate, vote, discuss, remember": "讀書會：提名、投票、討論、記錄",
    "Nominate a paper for the paper club's next vote": "提名一篇論文參加讀書會的下一次投票",
    "An arXiv ID or link, or part of a title": "arXiv ID、連結或部分標題",
    "Why the group should read it (optional)": "為什麼值得大家一起讀（可略過）",
    "Admin: where and when the paper club votes and meets": "管理員：設定讀書會的頻道、投票與聚會時間",
    "The club's channel (leave empty to stop the schedule)": "讀書會頻道（留空則停止排程）",
    "Day of the meeting (default from the config)": "聚會的星期（預設依設定檔）",
    "Time of the meeting, 24-hour HH:MM (default from the config)": "聚會時間，24 小時制 HH:MM（預設依設定檔）",
    "How many hours each vote stays open (default 24)": "每次投票開放幾小時（預設 24）",
    "Admin: open the vote on the nominated papers now": "管理員：現在就對提名的論文開始投票",
    "Add what you took away from the latest session": "留下你對最近一次聚會的心得",
    "What you took away, in a sentence or two": "你的收穫，一兩句話即可",
    "Did you attend? (default yes)": "你有參加嗎？（預設：有）",
    "Past sessions, what is nominated, and how the club works": "過去的聚會、目前的提名，以及讀書會怎麼運作",
})
ZH_NAMES.update({"paper": "論文", "reason": "理由", "takeaway": "心得", "attended": "有參加", "poll_hours": "投票時數"})
