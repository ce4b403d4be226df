// The REPL's line editor, as a pure function of (state, key): what the prompt does with each
// keypress. Emacs/readline keys, as in a shell:
//   Left/Right, Ctrl-B/F       move one character      Home, Ctrl-A / End, Ctrl-E   line start / end
//   Backspace                  delete before the cursor Ctrl-W   delete the word before the cursor
//   Ctrl-U / Ctrl-K            delete to the line's start / end
//   Up/Down                    walk the history (the line being typed comes back after the newest)
//   Ctrl-R                     reverse search of the history: type to narrow, Ctrl-R for an older
//                              match, Enter runs it, Esc/Ctrl-G restores the line, any other key
//                              edits the match
//   Ctrl-L                     clear the screen         Enter   run the line
// A paste arrives as one chunk: each complete line in it is run, the rest stays on the prompt.
// Keys typed faster than they are read also arrive as one chunk (Ink splits out escape
// sequences, not control characters): "ab\x17" is "ab" then Ctrl-W, and so on, in order.
// Tab, Ctrl-C and Ctrl-D belong to the app (completion, cancel, leave): App.tsx; inside a
// chunk of other keys they do nothing.

/** The keys Ink reports (its `Key` has these fields and more). */
export interface KeyPress {
  ctrl: boolean;
  meta: boolean;
  return: boolean;
  escape: boolean;
  backspace: boolean;
  delete: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  upArrow: boolean;
  downArrow: boolean;
  home: boolean;
  end: boolean;
}

export interface Line {
  text: string;
  /** 0…text.length: the cursor is before text[cursor]. */
  cursor: number;
}

export interface Search {
  query: string;
  /** The history index of the match shown, or -1 when nothing matches. */
  at: number;
  /** The line as it was when the search began (Esc restores it). */
  before: Line;
}

export interface Editor {
  line: Line;
  /** Position in the history while walking it; history.length is the line being typed. */
  hist: number;
  /** The line being typed, kept while walking the history. */
  draft: string;
  search?: Search;
}

export interface Outcome {
  editor: Editor;
  /** Lines to run, in order (Enter: the line; a paste: each complete line). */
  submit?: string[];
  clearScreen?: boolean;
}

export function emptyEditor(history: readonly string[]): Editor {
  return { line: { text: "", cursor: 0 }, hist: history.length, draft: "" };
}

/** The editor showing `text` with the cursor at its end (a recalled or completed line). */
export function withText(e: Editor, text: string): Editor {
  return { ...e, line: { text, cursor: text.length } };
}

/** What the prompt shows: the line, or the search with its match. */
export function display(e: Editor, history: readonly string[]): { prefix: string; line: Line } {
  const s = e.search;
  if (!s) return { prefix: "", line: e.line };
  const match = s.at >= 0 ? history[s.at]! : "";
  const at = s.at >= 0 ? match.indexOf(s.query) : -1;
  return { prefix: `(reverse-i-search${s.at < 0 && s.query !== "" ? ", no match" : ""})'${s.query}': `, line: { text: match, cursor: at >= 0 ? at : match.length } };
}

/** The newest history entry at or before `from` containing `query`, or -1. */
function find(history: readonly string[], query: string, from: number): number {
  for (let i = Math.min(from, history.length - 1); i >= 0; i--) if (history[i]!.includes(query)) return i;
  return -1;
}

const atLine = (e: Editor, text: string, cursor: number): Editor => ({ ...e, line: { text, cursor } });

function searchKey(e: Editor, s: Search, input: string, key: KeyPress, history: readonly string[]): Outcome {
  const match = s.at >= 0 ? history[s.at]! : s.before.text;
  if (key.ctrl && input === "r") {
    const at = find(history, s.query, s.at - 1);
    return { editor: { ...e, search: { ...s, at: at >= 0 ? at : s.at } } };
  }
  if (key.escape || (key.ctrl && input === "g")) return { editor: { ...e, line: s.before, search: undefined } };
  if (key.backspace || key.delete) {
    const query = s.query.slice(0, -1);
    return { editor: { ...e, search: { ...s, query, at: query === "" ? -1 : find(history, query, history.length - 1) } } };
  }
  if (key.return) return { editor: { ...withText(e, ""), search: undefined, hist: history.length, draft: "" }, submit: [match] };
  if (!key.ctrl && !key.meta && input !== "" && !/[\r\n]/.test(input) && !isMotion(key)) {
    const query = s.query + input;
    return { editor: { ...e, search: { ...s, query, at: find(history, query, s.at >= 0 ? s.at : history.length - 1) } } };
  }
  // Any other key takes the match as the line and does what it does there.
  return keypress({ ...withText(e, match), search: undefined }, input, key, history);
}

const isMotion = (k: KeyPress) => k.leftArrow || k.rightArrow || k.upArrow || k.downArrow || k.home || k.end;

/** C0 control characters other than Tab, CR and LF, and DEL: keys, not text. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const NO_KEY: KeyPress = { ctrl: false, meta: false, return: false, escape: false, backspace: false, delete: false, leftArrow: false, rightArrow: false, upArrow: false, downArrow: false, home: false, end: false };

/** The key a control character is: Backspace (DEL, ^H), else Ctrl and its letter (^W is Ctrl-W). */
function controlKey(c: string): [string, KeyPress] {
  const code = c.charCodeAt(0);
  if (code === 0x7f || code === 0x08) return ["", { ...NO_KEY, backspace: true }];
  return [code >= 1 && code <= 26 ? String.fromCharCode(code + 96) : "", { ...NO_KEY, ctrl: true }];
}

/** A chunk of keys read together: each text run and each control key in turn. */
function chunk(e: Editor, input: string, history: readonly string[]): Outcome {
  const submit: string[] = [];
  let clearScreen = false;
  for (const piece of input.split(/([\x00-\x08\x0b\x0c\x0e-\x1f\x7f])/)) {
    if (piece === "") continue;
    const [i, k] = CONTROL.test(piece) ? controlKey(piece) : [piece, NO_KEY];
    const o = keypress(e, i, k, history);
    e = o.editor;
    submit.push(...(o.submit ?? []));
    clearScreen ||= o.clearScreen === true;
  }
  return { editor: e, ...(submit.length > 0 ? { submit } : {}), ...(clearScreen ? { clearScreen } : {}) };
}

export function keypress(e: Editor, input: string, key: KeyPress, history: readonly string[]): Outcome {
  if (input.length > 1 && !key.ctrl && !key.meta && CONTROL.test(input)) return chunk(e, input, history);
  if (e.search) return searchKey(e, e.search, input, key, history);
  const { text, cursor } = e.line;
  if (key.return) return { editor: { ...withText(e, ""), hist: history.length, draft: "" }, submit: [text] };
  if (key.home || (key.ctrl && input === "a")) return { editor: atLine(e, text, 0) };
  if (key.end || (key.ctrl && input === "e")) return { editor: atLine(e, text, text.length) };
  if (key.leftArrow || (key.ctrl && input === "b")) return { editor: atLine(e, text, Math.max(0, cursor - 1)) };
  if (key.rightArrow || (key.ctrl && input === "f")) return { editor: atLine(e, text, Math.min(text.length, cursor + 1)) };
  if (key.backspace || key.delete) return { editor: cursor === 0 ? e : atLine(e, text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1) };
  if (key.ctrl && input === "w") {
    const start = /\S*\s*$/.exec(text.slice(0, cursor))!.index;
    return { editor: atLine(e, text.slice(0, start) + text.slice(cursor), start) };
  }
  if (key.ctrl && input === "u") return { editor: atLine(e, text.slice(cursor), 0) };
  if (key.ctrl && input === "k") return { editor: atLine(e, text.slice(0, cursor), cursor) };
  if (key.ctrl && input === "l") return { editor: e, clearScreen: true };
  if (key.ctrl && input === "r") return { editor: { ...e, search: { query: "", at: -1, before: e.line } } };
  if (key.upArrow) {
    if (e.hist === 0) return { editor: e };
    const draft = e.hist === history.length ? text : e.draft;
    return { editor: { ...withText(e, history[e.hist - 1]!), hist: e.hist - 1, draft } };
  }
  if (key.downArrow) {
    if (e.hist >= history.length) return { editor: e };
    const hist = e.hist + 1;
    return { editor: { ...withText(e, hist === history.length ? e.draft : history[hist]!), hist } };
  }
  if (key.ctrl || key.meta || input === "") return { editor: e };
  const typed = text.slice(0, cursor) + input + text.slice(cursor);
  if (!/[\r\n]/.test(input)) return { editor: atLine(e, typed, cursor + input.length) };
  // A paste with newlines: every complete line runs, the last part stays on the prompt.
  const lines = typed.split(/\r\n|\r|\n/);
  const rest = lines.pop()!;
  return { editor: { ...withText(e, rest), hist: history.length, draft: "" }, submit: lines };
}
