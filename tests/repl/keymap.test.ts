// The REPL's line editor (cli/repl/keymap.ts): each key's effect on the line, the history
// and the reverse search, as a pure function.
import { describe, expect, it } from "vitest";
import { display, emptyEditor, keypress, withText, type Editor, type KeyPress } from "../../cli/repl/keymap.js";

const NONE: KeyPress = { ctrl: false, meta: false, return: false, escape: false, backspace: false, delete: false, leftArrow: false, rightArrow: false, upArrow: false, downArrow: false, home: false, end: false };
type Named = keyof KeyPress;
const NAMED = new Set(Object.keys(NONE).filter((k) => k !== "ctrl" && k !== "meta"));
const HISTORY = [":load a.pq", "let y = relu(x)", ":run in.json", ":cost"];

/** Apply keys: a string types it; "C-x" is Ctrl-x; other names are Ink's key flags. */
function keys(e: Editor, ...ks: string[]): { editor: Editor; submitted: string[]; cleared: boolean } {
  const submitted: string[] = [];
  let cleared = false;
  for (const k of ks) {
    const [input, key] = k.startsWith("C-") ? [k.slice(2), { ...NONE, ctrl: true }]
      : NAMED.has(k) ? ["", { ...NONE, [k as Named]: true }] : [k, NONE];
    const o = keypress(e, input, key, HISTORY);
    e = o.editor;
    submitted.push(...(o.submit ?? []));
    cleared ||= o.clearScreen === true;
  }
  return { editor: e, submitted, cleared };
}
const at = (text: string, cursor = text.length): Editor => ({ ...emptyEditor(HISTORY), line: { text, cursor } });
const line = (e: Editor) => `${e.line.text.slice(0, e.line.cursor)}|${e.line.text.slice(e.line.cursor)}`;

describe("REPL line editing", () => {
  it("moves with Home/End, Ctrl-A/E, arrows and Ctrl-B/F, and inserts at the cursor", () => {
    expect(line(keys(at("let y = x"), "home", "C-f", "rightArrow", "Z").editor)).toBe("leZ|t y = x");
    expect(line(keys(at("let y = x", 0), "end", "leftArrow", "C-b", "!").editor)).toBe("let y =!| x");
    expect(line(keys(at("abc", 1), "C-e").editor)).toBe("abc|");
    expect(line(keys(at("abc"), "C-a").editor)).toBe("|abc");
  });

  it("deletes a character, a word (Ctrl-W), to the start (Ctrl-U) and to the end (Ctrl-K)", () => {
    expect(line(keys(at("let y = relu(x)"), "C-w").editor)).toBe("let y = |");
    expect(line(keys(at("let y  = x", 7), "C-w").editor)).toBe("let |= x");
    expect(line(keys(at("let y = x", 4), "C-u").editor)).toBe("|y = x");
    expect(line(keys(at("let y = x", 4), "C-k").editor)).toBe("let |");
    expect(line(keys(at("abc", 2), "backspace").editor)).toBe("a|c");
    expect(line(keys(at("abc", 0), "delete").editor)).toBe("|abc");
  });

  it("walks the history with Up/Down and brings the typed line back; Enter submits; Ctrl-L clears the screen", () => {
    const e = keys(at("dra"), "upArrow", "upArrow");
    expect(e.editor.line.text).toBe(":run in.json");
    expect(keys(e.editor, "downArrow", "downArrow").editor.line.text).toBe("dra");
    expect(keys(at("x"), "return").submitted).toEqual(["x"]);
    expect(keys(at("x"), "C-l").cleared).toBe(true);
    // A paste with newlines runs each complete line and keeps the rest.
    const p = keys(at(""), ":seed 1\r:seed 2\r:se");
    expect([p.submitted, p.editor.line.text]).toEqual([[":seed 1", ":seed 2"], ":se"]);
  });

  it("searches the history backwards with Ctrl-R: narrows as typed, Ctrl-R for older, Enter runs, Esc restores, other keys edit", () => {
    let e = keys(at("draft"), "C-r", "r").editor;
    expect(display(e, HISTORY)).toEqual({ prefix: "(reverse-i-search)'r': ", line: { text: ":run in.json", cursor: 1 } });
    e = keys(e, "C-r").editor;
    expect(display(e, HISTORY).line.text).toBe("let y = relu(x)");
    expect(keys(e, "return").submitted).toEqual(["let y = relu(x)"]);
    expect(line(keys(e, "escape").editor)).toBe("draft|");
    expect(line(keys(e, "C-e", "!").editor)).toBe("let y = relu(x)!|");
    expect(display(keys(e, "z").editor, HISTORY).prefix).toBe("(reverse-i-search, no match)'rz': ");
    expect(display(keys(e, "z", "backspace").editor, HISTORY).line.text).toBe(":run in.json");
  });

  it("reads a chunk of keys typed faster than they are read as those keys in order", () => {
    // "seed 7x" then Ctrl-W arrive together (Ink splits escape sequences, not control characters).
    expect(line(keys(at(""), "seed 7x\x17", "home", ":", "end", "78").editor)).toBe(":seed 78|");
    // DEL and ^H are Backspace; ^A, ^E, ^U and ^K edit; ^L clears; a newline runs the line.
    expect(line(keys(at(""), "abc\x7fd\x08e\x01>").editor)).toBe(">|abe");
    expect(line(keys(at(""), "let y\x15z\x05!").editor)).toBe("z!|");
    const c = keys(at(""), "ab\x0c:seed 3\rx");
    expect([c.cleared, c.submitted, line(c.editor)]).toEqual([true, ["ab:seed 3"], "x|"]);
    // In the reverse search too: the typed part narrows, Ctrl-G restores the line.
    expect(line(keys(at("draft"), "C-r", "ru\x07").editor)).toBe("draft|");
  });
});
