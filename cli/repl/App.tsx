// The interactive REPL (Ink): a prompt with line editing, history and reverse search
// (keymap.ts), Tab completion, progress of a running job, Ctrl-C to cancel a job (or clear
// the line), Ctrl-D to leave. Every line goes to the same Session as the line mode, and its
// blocks are printed above the prompt (Ink's <Static>: written once, so long outputs scroll
// like a normal terminal).
import { Box, Static, Text, useApp, useInput, useStdout } from "ink";
import { useRef, useState } from "react";
import { applyCompletion, complete } from "./complete.js";
import type { History } from "./history.js";
import { display, emptyEditor, keypress, withText, type Editor } from "./keymap.js";
import { PROMPT } from "./plain.js";
import type { Block, Session, Style } from "./session.js";

/** Clear the screen and its scrollback, cursor home (Ctrl-L). */
const CLEAR_SCREEN = "\x1b[2J\x1b[3J\x1b[H";

interface Entry {
  id: number;
  /** The line typed, absent for messages such as the start-up load. */
  input?: string;
  blocks: readonly Block[];
}

const COLORS: Record<Style, string | undefined> = { out: undefined, error: "red", notice: "yellow", info: "gray" };

export interface AppProps {
  session: Session;
  history: History;
  /** Shown first, e.g. the result of loading the file named on the command line. */
  initial?: readonly Block[];
  /** Base of relative paths for completion. */
  cwd?: string;
}

export function App({ session, history, initial = [], cwd = process.cwd() }: AppProps) {
  const { exit } = useApp();
  const { write } = useStdout();
  const nextId = useRef(1);
  const [entries, setEntries] = useState<Entry[]>(() => [{ id: 0, blocks: [{ style: "info", text: "pq repl — :help lists the commands, Ctrl-D leaves" }, ...initial] }]);
  // The editor lives in a ref: keys can arrive faster than React re-renders, and each must
  // see the state the previous one left. `setShownEditor` re-renders the prompt.
  const editor = useRef<Editor>(emptyEditor(history.entries));
  const [, setShownEditor] = useState<Editor>(editor.current);
  const setEditor = (e: Editor) => {
    editor.current = e;
    setShownEditor(e);
  };
  // `running` is read by the key handler (current at once), `busy` re-renders.
  const running = useRef(false);
  const [busy, setBusyState] = useState(false);
  const setBusy = (b: boolean) => {
    running.current = b;
    setBusyState(b);
  };
  const [progress, setProgress] = useState("");
  const [shown, setShown] = useState<string[]>([]);

  const push = (e: Omit<Entry, "id">) => setEntries((es) => [...es, { ...e, id: nextId.current++ }]);

  // Lines pasted together with their newlines wait here and run one after another.
  const pending = useRef<string[]>([]);

  const submit = (lines: string[]) => {
    for (const l of lines) history.add(l);
    setEditor({ ...editor.current, hist: history.entries.length, draft: "" });
    setShown([]);
    pending.current.push(...lines);
    if (!running.current) runPending();
  };

  const runPending = () => {
    const line = pending.current.shift();
    if (line === undefined) return setBusy(false);
    running.current = true;
    if (line.trim() === "") {
      push({ input: line, blocks: [] });
      return runPending();
    }
    setBusy(true);
    void session.execute(line, { onProgress: setProgress }).then((r) => {
      push({ input: line, blocks: r.blocks });
      setProgress("");
      if (r.quit) return exit();
      runPending();
    });
  };

  useInput((input, key) => {
    const e = editor.current;
    if (key.ctrl && input === "c") {
      if (session.cancel()) return;
      pending.current = [];
      setEditor({ ...emptyEditor(history.entries) });
      setShown([]);
      push({ blocks: [{ style: "info", text: "(Ctrl-C clears the line; Ctrl-D or :quit leaves)" }] });
      return;
    }
    if (key.ctrl && input === "d") {
      if (!running.current && e.line.text === "" && !e.search) exit();
      return;
    }
    if (running.current) return;
    if (key.tab) {
      const { text, cursor } = e.line;
      const r = applyCompletion(text.slice(0, cursor), complete(text.slice(0, cursor), session, cwd));
      setShown(r.shown);
      const line = r.line + text.slice(cursor);
      setEditor({ ...withText(e, line), line: { text: line, cursor: r.line.length } });
      return;
    }
    const o = keypress(e, input, key, history.entries);
    if (o.clearScreen) write(CLEAR_SCREEN);
    setEditor(o.editor);
    if (o.submit) submit(o.submit);
  });

  const { prefix, line } = display(editor.current, history.entries);
  return (
    <>
      <Static items={entries}>
        {(e) => (
          <Box key={e.id} flexDirection="column">
            {e.input !== undefined && (
              <Text>
                <Text color="cyan">{PROMPT}</Text>
                {e.input}
              </Text>
            )}
            {e.blocks.map((b, i) => (
              <Text key={i} color={COLORS[b.style]}>
                {b.text}
              </Text>
            ))}
          </Box>
        )}
      </Static>
      {busy ? (
        <Text color="gray">{progress === "" ? "running…" : progress}  (Ctrl-C cancels)</Text>
      ) : (
        <Text>
          <Text color="cyan">{prefix === "" ? PROMPT : prefix}</Text>
          {line.text.slice(0, line.cursor)}
          <Text inverse>{line.text[line.cursor] ?? " "}</Text>
          {line.text.slice(line.cursor + 1)}
        </Text>
      )}
      {shown.length > 0 && <Text color="gray">{shown.join("  ")}</Text>}
    </>
  );
}
