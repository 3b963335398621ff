// Local Messenger web chat. Talks only to the emulator's control API (/control/...).
"use strict";

const TEXTS = {
  zh: {
    "app.title": "本地信使", "who.label": "我是", "who.new": "新建一个人", "phone.title": "手机",
    "phone.sms": "短信", "phone.empty": "还没有短信", "phone.none": "（未设置手机号）",
    "chats.title": "聊天", "chats.newGroup": "＋ 新建群聊", "chat.pick": "选择左侧的聊天开始吧",
    "composer.send": "发送", "composer.placeholder": "输入消息，或 @{bot} 加金额试试内联模式",
    "chat.private": "机器人", "chat.members": "{n} 位成员", "chat.typing": "对方正在输入…",
    "chat.block": "屏蔽机器人", "chat.unblock": "取消屏蔽", "chat.blocked": "你已屏蔽此机器人",
    "msg.edited": "已编辑", "msg.via": "通过", "msg.created": "{name} 创建了群聊", "msg.joined": "{name} 加入了群聊",
    "msg.photo": "[图片]", "msg.document": "[文件]", "msg.contact": "[联系人]",
    "inline.loading": "正在询问机器人…", "inline.none": "没有结果", "inline.timeout": "机器人没有回应",
    "press.timeout": "机器人没有回应这个按钮", "share.phone": "请输入要分享的手机号",
    "new.name": "新朋友的名字？", "new.lang": "语言代码（zh-CN 或 en）", "new.phone": "手机号（可留空）",
    "group.title": "群名称？", "group.members": "选择成员：输入名字，用逗号分隔", "error": "出错了：",
    "picker.title": "选择要分享的人（最多 {n} 位）", "picker.ok": "分享", "picker.cancel": "取消", "picker.none": "没有可以分享的人",
    "msg.shared": "{name} 分享了：{list}", "msg.supergroup": "{name} 创建了超级群", "msg.left": "{name} 离开了群聊",
    "msg.migrated_to": "本群已升级为超级群", "msg.migrated_from": "由普通群升级而来", "link.opened": "已打开与机器人的聊天",
  },
  en: {
    "app.title": "Local Messenger", "who.label": "I am", "who.new": "Add a person", "phone.title": "Phone",
    "phone.sms": "Messages", "phone.empty": "No messages yet", "phone.none": "(no phone number)",
    "chats.title": "Chats", "chats.newGroup": "＋ New group", "chat.pick": "Pick a chat on the left",
    "composer.send": "Send", "composer.placeholder": "Type a message, or try inline mode: @{bot} 50",
    "chat.private": "bot", "chat.members": "{n} members", "chat.typing": "typing…",
    "chat.block": "Block bot", "chat.unblock": "Unblock", "chat.blocked": "You blocked this bot",
    "msg.edited": "edited", "msg.via": "via", "msg.created": "{name} created the group", "msg.joined": "{name} joined the group",
    "msg.photo": "[Photo]", "msg.document": "[File]", "msg.contact": "[Contact]",
    "inline.loading": "Asking the bot…", "inline.none": "No results", "inline.timeout": "The bot did not answer",
    "press.timeout": "The bot did not answer this button", "share.phone": "Phone number to share",
    "new.name": "Name of the new person?", "new.lang": "Language code (zh-CN or en)", "new.phone": "Phone number (optional)",
    "group.title": "Group name?", "group.members": "Members: names separated by commas", "error": "Something went wrong: ",
    "picker.title": "Choose people to share (at most {n})", "picker.ok": "Share", "picker.cancel": "Cancel", "picker.none": "Nobody to share",
    "msg.shared": "{name} shared: {list}", "msg.supergroup": "{name} created the supergroup", "msg.left": "{name} left the group",
    "msg.migrated_to": "This group was upgraded to a supergroup", "msg.migrated_from": "Upgraded from a basic group", "link.opened": "Opened the chat with the bot",
  },
};

const state = {
  lang: localStorage.getItem("lm.lang") || ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en"),
  users: [], me: null, bot: null, chats: [], chatId: null, messages: [], version: 0,
  hiddenKeyboards: new Set(), sms: [], smsSeen: 0, inlineTimer: null, inlineSeq: 0,
};

const $ = (sel) => document.querySelector(sel);
const T = (key, vars = {}) => (TEXTS[state.lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");
const COLORS = ["#f2a33a", "#5fa3e0", "#e26a6a", "#8e7cc3", "#4fb39a", "#d77fb0", "#6d9b4c"];
const colorOf = (id) => COLORS[Math.abs(Number(id)) % COLORS.length];
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

async function api(method, path, body) {
  const res = await fetch(path, {
    method, headers: body ? {"Content-Type": "application/json"} : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok && !data.timed_out) throw new Error(data.error || res.statusText);
  return data;
}

// ---- i18n ------------------------------------------------------------------------------------
function applyTexts() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = T(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = T(el.dataset.i18nTitle); });
  $("#lang-toggle").textContent = state.lang === "zh" ? "EN" : "中文";
  $("#composer-input").placeholder = T("composer.placeholder", {bot: state.bot ? state.bot.username : "bot"});
}

// ---- rendering helpers -----------------------------------------------------------------------
function avatar(name, id, small) {
  return `<div class="avatar${small ? " small" : ""}" style="background:${colorOf(id)}">${esc((name || "?").slice(0, 1).toUpperCase())}</div>`;
}

function renderEntities(text, entities) {
  // Offsets are UTF-16 code units, the same units as JavaScript strings.
  const ents = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(start, end, list) {
    let out = "", pos = start, i = 0;
    while (i < list.length) {
      const e = list[i];
      const eEnd = e.offset + e.length;
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < eEnd) { if (list[j].offset + list[j].length <= eEnd) inner.push(list[j]); j++; }
      out += esc(text.slice(pos, e.offset));
      const body = build(e.offset, eEnd, inner);
      out += wrap(e, body, text.slice(e.offset, eEnd));
      pos = eEnd; i = j;
    }
    return out + esc(text.slice(pos, end));
  }
  return build(0, text.length, ents.filter((e) => e.offset + e.length <= text.length));
}

function wrap(e, body, raw) {
  switch (e.type) {
    case "bold": return `<b>${body}</b>`;
    case "italic": return `<i>${body}</i>`;
    case "underline": return `<u>${body}</u>`;
    case "strikethrough": return `<s>${body}</s>`;
    case "code": return `<code>${body}</code>`;
    case "pre": return `<pre>${body}</pre>`;
    case "blockquote": case "expandable_blockquote": return `<blockquote>${body}</blockquote>`;
    case "spoiler": return `<span class="spoiler" onclick="this.classList.add('shown')">${body}</span>`;
    case "text_link": return safeUrl(e.url) ? `<a href="${esc(e.url)}" target="_blank" rel="noopener">${body}</a>` : body;
    case "url": { const href = /^[a-z]+:/i.test(raw) ? raw : "https://" + raw;
      return safeUrl(href) ? `<a href="${esc(href)}" target="_blank" rel="noopener">${body}</a>` : body; }
    case "bot_command": return `<a href="#" class="cmd" data-cmd="${esc(raw)}">${body}</a>`;
    default: return body;
  }
}
const safeUrl = (u) => /^(https?:|tg:|mailto:)/i.test(u || "");

// A link to this bot (t.me/<bot>, ?start=<payload>) opens the private chat and sends /start <payload>.
function isBotLink(url) {
  if (!state.bot || !url) return false;
  const name = state.bot.username.toLowerCase();
  const m = /^(?:https?:\/\/)?(?:www\.)?(?:t|telegram)\.me\/([A-Za-z0-9_]+)/i.exec(url) || /^tg:\/\/resolve\?(?:.*&)?domain=([A-Za-z0-9_]+)/i.exec(url);
  return Boolean(m && m[1].toLowerCase() === name);
}

async function openBotLink(url) {
  await api("POST", "/control/open_link", {user_id: state.me.id, url});
  await refreshChats();
  await openChat(state.me.id);
}

function fmtSize(n) { return n > 1048576 ? (n / 1048576).toFixed(1) + " MB" : n > 1024 ? Math.round(n / 1024) + " KB" : n + " B"; }
function fmtTime(ts) { const d = new Date(ts * 1000); return d.toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en-GB", {hour: "2-digit", minute: "2-digit"}); }
function senderName(u) { return u ? [u.first_name, u.last_name].filter(Boolean).join(" ") : ""; }
function preview(m) {
  if (!m) return "";
  if (m.text) return m.text;
  if (m.photo) return T("msg.photo") + " " + (m.caption || "");
  if (m.document) return T("msg.document") + " " + (m.document.file_name || "");
  if (m.contact) return T("msg.contact");
  if (m.group_chat_created) return T("msg.created", {name: senderName(m.from)});
  if (m.users_shared) return sharedText(m);
  return "";
}

// ---- people ----------------------------------------------------------------------------------
async function loadUsers() {
  state.users = await api("GET", "/control/users");
  const sel = $("#user-select");
  const wanted = Number(new URLSearchParams(location.search).get("user")) || Number(localStorage.getItem("lm.user")) || 0;
  sel.innerHTML = state.users.map((u) => `<option value="${u.id}">${esc(senderName(u))}${u.username ? " @" + esc(u.username) : ""}</option>`).join("");
  const me = state.users.find((u) => u.id === (state.me ? state.me.id : wanted)) || state.users[0] || null;
  state.me = me;
  if (me) sel.value = String(me.id);
}

async function choosePerson(id) {
  state.me = state.users.find((u) => u.id === Number(id)) || null;
  localStorage.setItem("lm.user", String(id));
  state.chatId = null; state.messages = []; state.smsSeen = 0;
  await refreshChats();
  if (state.chats.length) await openChat(state.chats[0].id);
  await refreshSms();
}

async function newPerson() {
  const name = prompt(T("new.name"));
  if (!name) return;
  const lang = prompt(T("new.lang"), state.lang === "zh" ? "zh-CN" : "en") || "";
  const phone = prompt(T("new.phone"), "") || undefined;
  const user = await api("POST", "/control/users", {first_name: name, language_code: lang, phone_number: phone});
  state.me = user;
  await loadUsers();
  await choosePerson(user.id);
}

async function newGroup() {
  if (!state.me) return;
  const title = prompt(T("group.title"));
  if (!title) return;
  const names = (prompt(T("group.members"), state.users.filter((u) => u.id !== state.me.id).map((u) => u.first_name).join(", ")) || "")
    .split(/[,，]/).map((s) => s.trim().toLowerCase()).filter(Boolean);
  const ids = [state.me.id, ...state.users.filter((u) => u.id !== state.me.id && names.includes(u.first_name.toLowerCase())).map((u) => u.id)];
  const chat = await api("POST", "/control/chats", {type: "group", title, member_ids: ids});
  await refreshChats();
  await openChat(chat.id);
}

// ---- chats -----------------------------------------------------------------------------------
async function refreshChats() {
  if (!state.me) { $("#chat-list").innerHTML = ""; return; }
  state.chats = await api("GET", `/control/users/${state.me.id}/chats`);
  $("#chat-list").innerHTML = state.chats.map((c) => {
    const name = c.type === "private" ? c.title : c.title;
    const last = c.last_message;
    return `<li class="chat-item${c.id === state.chatId ? " active" : ""}" data-chat="${c.id}" data-type="${c.type}">
      ${avatar(name, c.type === "private" && c.bot ? c.bot.id : c.id)}
      <div class="meta"><div class="name">${esc(name)}</div><div class="preview">${esc(preview(last))}</div></div>
      <div class="time">${last ? fmtTime(last.date) : ""}</div></li>`;
  }).join("");
}

async function openChat(chatId) {
  state.chatId = Number(chatId);
  state.messages = [];
  $("#chat").classList.remove("empty");
  hidePopups();
  document.querySelectorAll(".chat-item").forEach((el) => el.classList.toggle("active", Number(el.dataset.chat) === state.chatId));
  await refreshMessages(true);
  $("#composer-input").focus();
}

function currentChat() { return state.chats.find((c) => c.id === state.chatId); }

function renderHead() {
  const c = currentChat();
  if (!c) return;
  $("#chat-avatar").outerHTML = avatar(c.title, c.type === "private" && c.bot ? c.bot.id : c.id).replace('class="avatar"', 'class="avatar" id="chat-avatar"');
  $("#chat-title").textContent = c.title + (c.type === "private" && c.bot ? "  @" + c.bot.username : "");
  let sub = c.type === "private" ? T("chat.private") : T("chat.members", {n: c.member_ids.length + (c.bot_member ? 1 : 0)});
  if (c.bot_action === "typing") sub = T("chat.typing");
  if (c.type === "private" && state.me && state.me.blocked_bot) sub = T("chat.blocked");
  $("#chat-sub").textContent = sub;
  const block = $("#block-toggle");
  block.classList.toggle("hidden", c.type !== "private");
  block.textContent = state.me && state.me.blocked_bot ? T("chat.unblock") : T("chat.block");
}

async function refreshMessages(scroll) {
  if (!state.me || state.chatId == null) return;
  const chatId = state.chatId;
  const list = await api("GET", `/control/chats/${chatId}/messages?user_id=${state.me.id}`);
  if (chatId !== state.chatId) return;
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const grew = list.length !== state.messages.length || (list.length && list[list.length - 1].message_id !== state.messages[state.messages.length - 1]?.message_id);
  state.messages = list;
  renderHead();
  box.innerHTML = list.map(renderMessage).join("");
  renderReplyKeyboard();
  if (scroll || grew || atBottom) box.scrollTop = box.scrollHeight;
}

function sharedText(m) {
  const names = m.users_shared.users.map((u) => senderName(u) || (u.username ? "@" + u.username : "") ||
    senderName(state.users.find((p) => p.id === u.user_id)) || String(u.user_id));
  return T("msg.shared", {name: senderName(m.from), list: names.join(", ")});
}

function serviceText(m) {
  if (m.group_chat_created) return T("msg.created", {name: senderName(m.from)});
  if (m.supergroup_chat_created) return T("msg.supergroup", {name: senderName(m.from)});
  if (m.new_chat_members) return T("msg.joined", {name: m.new_chat_members.map(senderName).join(", ")});
  if (m.left_chat_member) return T("msg.left", {name: senderName(m.left_chat_member)});
  if (m.migrate_to_chat_id) return T("msg.migrated_to");
  if (m.migrate_from_chat_id) return T("msg.migrated_from");
  return null;
}

function renderMessage(m) {
  const service = serviceText(m);
  if (service) return `<div class="service">${esc(service)}</div>`;
  if (m.users_shared) return `<div class="service shared" data-message-id="${m.message_id}">${esc(sharedText(m))}</div>`;
  const mine = state.me && m.from && m.from.id === state.me.id;
  const c = currentChat();
  const showName = c && c.type !== "private" && !mine;
  let inner = "";
  if (m.via_bot) inner += `<div class="via">${T("msg.via")} @${esc(m.via_bot.username)}</div>`;
  if (m.reply_to_message) inner += `<div class="quote">${esc(senderName(m.reply_to_message.from))}: ${esc(m.reply_to_message.text || m.reply_to_message.caption || "")}</div>`;
  if (m.photo) inner += `<img class="photo" src="${esc(m.photo.url)}" alt="photo" width="${m.photo.width}" height="${m.photo.height}" onclick="window.open(this.src)">`;
  if (m.document) {
    const ext = ((m.document.file_name || "").split(".").pop() || "FILE").slice(0, 4).toUpperCase();
    inner += `<a class="doc" href="${esc(m.document.url)}" download="${esc(m.document.file_name || "file")}"><span class="icon">${esc(ext)}</span><span><div>${esc(m.document.file_name || "file")}</div><div class="size">${fmtSize(m.document.file_size || 0)}</div></span></a>`;
  }
  if (m.contact) inner += `<div class="contact">${avatar(m.contact.first_name, m.contact.user_id || 1, true)}<div><div>${esc(senderName(m.contact))}</div><div class="num">${esc(m.contact.phone_number)}</div></div></div>`;
  if (m.text != null) inner += renderEntities(m.text, m.entities);
  if (m.caption != null) inner += `<div>${renderEntities(m.caption, m.caption_entities)}</div>`;
  inner += `<div class="foot">${m.edit_date ? T("msg.edited") + " · " : ""}${fmtTime(m.date)}</div>`;
  let kb = "";
  const markup = m.reply_markup;
  if (markup && markup.inline_keyboard) {
    kb = `<div class="ikb">` + markup.inline_keyboard.map((row, r) => `<div class="row">` + row.map((b, i) =>
      `<button type="button" class="${b.url ? "url" : ""}" data-msg="${m.message_id}" data-row="${r}" data-col="${i}">${esc(b.text)}</button>`).join("") + `</div>`).join("") + `</div>`;
  }
  return `<div class="msg${mine ? " mine" : ""}" data-message-id="${m.message_id}">
    ${avatar(m.from ? m.from.first_name : "?", m.from ? m.from.id : 0, false)}
    <div class="body">${showName ? `<div class="sender">${esc(senderName(m.from))}</div>` : ""}
      <div class="bubble">${inner}</div>${kb}</div></div>`;
}

// ---- keyboards -------------------------------------------------------------------------------
function renderReplyKeyboard() {
  const box = $("#reply-keyboard");
  let markup = null, owner = null;
  for (const m of state.messages) {
    if (m.from && m.from.is_bot && m.reply_markup && (m.reply_markup.keyboard || m.reply_markup.remove_keyboard)) { markup = m.reply_markup; owner = m; }
  }
  if (!markup || !markup.keyboard || state.hiddenKeyboards.has(`${state.chatId}:${owner.message_id}`)) { box.classList.add("hidden"); box.innerHTML = ""; return; }
  box.classList.remove("hidden");
  box.innerHTML = markup.keyboard.map((row, r) => `<div class="row">` + row.map((b, i) => {
    const text = typeof b === "string" ? b : b.text;
    const contact = typeof b === "object" && b.request_contact;
    const users = typeof b === "object" && b.request_users;
    return `<button type="button" class="${contact ? "contact" : users ? "users" : ""}" data-row="${r}" data-col="${i}">${contact ? "📞 " : users ? "👥 " : ""}${esc(text)}</button>`;
  }).join("") + `</div>`).join("");
  box.dataset.owner = owner.message_id;
  box.dataset.oneTime = markup.one_time_keyboard ? "1" : "";
}

async function onReplyKey(btn) {
  const box = $("#reply-keyboard");
  const owner = state.messages.find((m) => m.message_id === Number(box.dataset.owner));
  const b = owner.reply_markup.keyboard[Number(btn.dataset.row)][Number(btn.dataset.col)];
  if (box.dataset.oneTime) state.hiddenKeyboards.add(`${state.chatId}:${owner.message_id}`);
  if (typeof b === "object" && b.request_contact) {
    let phone = state.me.phone_number;
    if (!phone) phone = prompt(T("share.phone"), "+86");
    if (!phone) return;
    await api("POST", "/control/contact", {user_id: state.me.id, chat_id: state.chatId, phone_number: phone});
  } else if (typeof b === "object" && b.request_users) {
    const ids = await pickUsers(b.request_users);
    if (!ids || !ids.length) return;
    await api("POST", "/control/users_shared", {user_id: state.me.id, chat_id: state.chatId, request_id: b.request_users.request_id, user_ids: ids});
    await refreshMessages(true);
  } else {
    await sendText(typeof b === "string" ? b : b.text);
  }
}

// The request_users picker: people of this world (not the bot), at most max_quantity of them.
function pickUsers(spec) {
  const max = spec.max_quantity || 1;
  const people = spec.user_is_bot ? [] : state.users.filter((u) => u.id !== state.me.id);
  $("#picker-title").textContent = people.length ? T("picker.title", {n: max}) : T("picker.none");
  $("#picker-list").innerHTML = people.map((u) => `<li><label><input type="${max > 1 ? "checkbox" : "radio"}" name="pick" value="${u.id}">
    ${avatar(u.first_name, u.id, true)} <span>${esc(senderName(u))}${u.username ? " @" + esc(u.username) : ""}</span></label></li>`).join("");
  $("#picker").classList.remove("hidden");
  return new Promise((resolve) => {
    const done = (ids) => { $("#picker").classList.add("hidden"); $("#picker-ok").onclick = $("#picker-cancel").onclick = null; resolve(ids); };
    $("#picker-list").onchange = () => {
      const checked = [...document.querySelectorAll("#picker-list input:checked")];
      document.querySelectorAll("#picker-list input:not(:checked)").forEach((el) => { el.disabled = checked.length >= max && max > 1; });
    };
    $("#picker-ok").onclick = () => done([...document.querySelectorAll("#picker-list input:checked")].map((el) => Number(el.value)));
    $("#picker-cancel").onclick = () => done(null);
  });
}

async function onInlineKey(btn) {
  const m = state.messages.find((x) => x.message_id === Number(btn.dataset.msg));
  const b = m.reply_markup.inline_keyboard[Number(btn.dataset.row)][Number(btn.dataset.col)];
  if (b.url && isBotLink(b.url)) { await openBotLink(b.url); return; }
  if (b.url) { window.open(b.url, "_blank", "noopener"); return; }
  if (b.switch_inline_query != null || b.switch_inline_query_current_chat != null) {
    const q = b.switch_inline_query ?? b.switch_inline_query_current_chat;
    const input = $("#composer-input");
    input.value = `@${state.bot.username} ${q}`; input.focus(); onInput();
    return;
  }
  btn.classList.add("busy");
  try {
    const body = {user_id: state.me.id, button: b.text, callback_data: b.callback_data};
    if (m.inline_message_id) body.inline_message_id = m.inline_message_id;
    else Object.assign(body, {chat_id: state.chatId, message_id: m.message_id});
    const res = await api("POST", "/control/press", body);
    const answer = res.answer;
    if (!answer) toast(T("press.timeout"));
    else if (answer.url) window.open(answer.url, "_blank", "noopener");
    else if (answer.text && answer.show_alert) alertBox(answer.text);
    else if (answer.text) toast(answer.text);
  } finally { btn.classList.remove("busy"); }
}

// ---- composing -------------------------------------------------------------------------------
async function sendText(text) {
  if (!text.trim() || !state.me || state.chatId == null) return;
  await api("POST", "/control/send", {user_id: state.me.id, chat_id: state.chatId, text});
  await refreshMessages(true);
}

function inlinePrefix() { return state.bot ? `@${state.bot.username}` : null; }

function onInput() {
  const value = $("#composer-input").value;
  const prefix = inlinePrefix();
  $("#commands").classList.add("hidden");
  if (value === "/") { showCommands(); return; }
  if (!prefix || !value.toLowerCase().startsWith(prefix.toLowerCase() + " ")) { $("#inline-results").classList.add("hidden"); return; }
  clearTimeout(state.inlineTimer);
  state.inlineTimer = setTimeout(() => runInline(value.slice(prefix.length + 1)), 350);
}

async function runInline(query) {
  const seq = ++state.inlineSeq;
  const box = $("#inline-results");
  box.classList.remove("hidden");
  box.innerHTML = `<div class="result note">${T("inline.loading")}</div>`;
  const c = currentChat();
  const res = await api("POST", "/control/inline", {user_id: state.me.id, query, chat_type: c && c.type === "private" ? "sender" : (c ? c.type : "private")});
  if (seq !== state.inlineSeq) return;
  if (res.timed_out) { box.innerHTML = `<div class="result note">${T("inline.timeout")}</div>`; return; }
  if (!res.results.length) { box.innerHTML = `<div class="result note">${T("inline.none")}</div>`; return; }
  box.innerHTML = res.results.map((r) => `<div class="result" data-query="${esc(res.inline_query_id)}" data-result="${esc(r.id)}">
    <div class="title">${esc(r.title || r.id)}</div><div class="desc">${esc(r.description || "")}</div></div>`).join("");
}

async function chooseResult(el) {
  await api("POST", "/control/choose", {user_id: state.me.id, inline_query_id: el.dataset.query, result_id: el.dataset.result, chat_id: state.chatId});
  $("#composer-input").value = "";
  hidePopups();
  await refreshMessages(true);
}

async function showCommands() {
  const code = state.me && (state.me.language_code || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  const bot = await api("GET", `/control/bot?language_code=${code}`);
  const box = $("#commands");
  if (!bot.commands.length) { box.classList.add("hidden"); return; }
  box.innerHTML = bot.commands.map((c) => `<div class="command" data-cmd="/${esc(c.command)}"><span class="cmd">/${esc(c.command)}</span> <span class="desc">${esc(c.description)}</span></div>`).join("");
  box.classList.remove("hidden");
}

function hidePopups() { $("#inline-results").classList.add("hidden"); $("#commands").classList.add("hidden"); }

// ---- phone -----------------------------------------------------------------------------------
async function refreshSms() {
  const phone = state.me && state.me.phone_number;
  $("#phone-number").textContent = phone || T("phone.none");
  state.sms = phone ? await api("GET", `/control/sms?phone_number=${encodeURIComponent(phone)}`) : [];
  $("#sms-list").innerHTML = state.sms.slice().reverse().map((s) => `<li>${esc(s.text)}<span class="when">${fmtTime(s.date)}</span></li>`).join("");
  $("#sms-empty").classList.toggle("hidden", state.sms.length > 0);
  const open = !$("#phone").classList.contains("hidden");
  if (open) state.smsSeen = state.sms.length;
  const unread = state.sms.length - state.smsSeen;
  $("#sms-badge").textContent = unread;
  $("#sms-badge").classList.toggle("hidden", unread <= 0);
}

// ---- feedback --------------------------------------------------------------------------------
let toastTimer = null;
function toast(text) {
  const el = $("#toast");
  el.textContent = text; el.classList.remove("hidden");
  clearTimeout(toastTimer); toastTimer = setTimeout(() => el.classList.add("hidden"), 2600);
}
function alertBox(text) { $("#modal-text").textContent = text; $("#modal").classList.remove("hidden"); $("#modal-ok").focus(); }
function showError(err) { toast(T("error") + (err && err.message ? err.message : err)); }

// ---- live updates ----------------------------------------------------------------------------
async function live() {
  for (;;) {
    try {
      const res = await api("GET", `/control/version?after=${state.version}&wait=25`);
      if (res.version !== state.version) {
        const reset = res.version < state.version;
        state.version = res.version;
        if (reset) { await loadUsers(); }
        const me = state.me && (await api("GET", `/control/users`)).find((u) => u.id === state.me.id);
        if (me) { state.me = me; }
        else if (state.me) { await loadUsers(); }
        await refreshChats();
        await refreshMessages(false);
        await refreshSms();
      }
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
}

// ---- wiring ----------------------------------------------------------------------------------
function wire() {
  $("#user-select").addEventListener("change", (e) => choosePerson(e.target.value).catch(showError));
  $("#new-person").addEventListener("click", () => newPerson().catch(showError));
  $("#new-group").addEventListener("click", () => newGroup().catch(showError));
  $("#lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("lm.lang", state.lang);
    applyTexts(); renderHead(); refreshChats().catch(showError); refreshMessages(false).catch(showError); refreshSms().catch(showError);
  });
  $("#phone-toggle").addEventListener("click", () => { $("#phone").classList.toggle("hidden"); refreshSms().catch(showError); });
  $("#chat-list").addEventListener("click", (e) => { const li = e.target.closest(".chat-item"); if (li) openChat(li.dataset.chat).catch(showError); });
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#composer-input");
    const text = input.value;
    const prefix = inlinePrefix();
    if (prefix && text.toLowerCase().startsWith(prefix.toLowerCase() + " ")) return; // inline mode: pick a result
    input.value = ""; hidePopups();
    sendText(text).catch(showError);
  });
  $("#composer-input").addEventListener("input", onInput);
  $("#menu-button").addEventListener("click", () => ($("#commands").classList.contains("hidden") ? showCommands() : hidePopups()));
  $("#messages").addEventListener("click", (e) => {
    const btn = e.target.closest(".ikb button");
    if (btn) { onInlineKey(btn).catch(showError); return; }
    const cmd = e.target.closest("a.cmd");
    if (cmd) { e.preventDefault(); sendText(cmd.dataset.cmd).catch(showError); return; }
    const link = e.target.closest("a[href]");
    if (link && isBotLink(link.getAttribute("href"))) { e.preventDefault(); openBotLink(link.getAttribute("href")).catch(showError); }
  });
  $("#reply-keyboard").addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) onReplyKey(b).catch(showError); });
  $("#inline-results").addEventListener("click", (e) => { const r = e.target.closest(".result[data-result]"); if (r) chooseResult(r).catch(showError); });
  $("#commands").addEventListener("click", (e) => { const c = e.target.closest(".command"); if (c) { hidePopups(); sendText(c.dataset.cmd).catch(showError); } });
  $("#modal-ok").addEventListener("click", () => $("#modal").classList.add("hidden"));
  $("#block-toggle").addEventListener("click", async () => {
    try {
      state.me = await api("POST", "/control/block", {user_id: state.me.id, blocked: !state.me.blocked_bot});
      renderHead();
    } catch (err) { showError(err); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") { hidePopups(); $("#modal").classList.add("hidden"); } });
}

async function main() {
  wire();
  state.bot = await api("GET", "/control/bot");
  applyTexts();
  state.version = (await api("GET", "/control/version")).version;
  await loadUsers();
  if (state.me) await choosePerson(state.me.id);
  document.body.dataset.ready = "1";
  live();
}

main().catch(showError);
