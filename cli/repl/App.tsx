// The interactive REPL (Ink): a prompt with history (Up/Down), Tab completion, progress
// of a running job, Ctrl-C to cancel a job (or clear the line), Ctrl-D to leave. Every
// line goes to the same Session as the line mode, and its blocks are printed above the
// prompt (Ink's <Static>: written once, so long outputs scroll like a normal terminal).
import { Box, Static, Text, useApp, useInput } from "ink";
import TextInput from "ink-text-input";
import { useRef, useState } from "react";
import { applyCompletion, complete } from "./complete.js";
import type { History } from "./history.js";
import { PROMPT } from "./plain.js";
import type { Block, Session, Style } from "./session.js";

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
  const nextId = useRef(1);
  const [entries, setEntries] = useState<Entry[]>(() => [{ id: 0, blocks: [{ style: "info", text: "pq repl — :help lists the commands, Ctrl-D leaves" }, ...initial] }]);
  const [value, setValueState] = useState("");
  // The line as last changed: TextInput's onSubmit can carry a value from before the last
  // keystroke when keys arrive faster than its input handler is re-subscribed.
  const current = useRef("");
  const previous = useRef("");
  const setValue = (v: string) => {
    previous.current = current.current;
    current.current = v;
    setValueState(v);
  };
  // TextInput keeps its cursor in its own state: a new key remounts it with the cursor at
  // the end whenever the line is replaced from outside (history, completion).
  const [inputKey, setInputKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState("");
  const [shown, setShown] = useState<string[]>([]);
  const histPos = useRef(history.entries.length);
  const draft = useRef("");

  const push = (e: Omit<Entry, "id">) => setEntries((es) => [...es, { ...e, id: nextId.current++ }]);
  const replace = (line: string) => {
    setValue(line);
    setInputKey((k) => k + 1);
  };

  useInput((input, key) => {
    if (key.ctrl && input === "c") {
      if (session.cancel()) return;
      replace("");
      setShown([]);
      push({ blocks: [{ style: "info", text: "(Ctrl-C clears the line; Ctrl-D or :quit leaves)" }] });
      return;
    }
    if (key.ctrl && input === "d") {
      if (busy) return;
      // TextInput's handler normally runs first (its input effect subscribes first), so an
      // empty line may already read "d".
      if (current.current === "" || (current.current === "d" && previous.current === "")) return exit();
      // TextInput inserts a "d" for Ctrl-D, before or after this handler runs: once both
      // have run, put the line back as it was before the keystroke.
      const seen = current.current;
      setTimeout(() => replace(current.current !== seen ? seen : previous.current), 0);
      return;
    }
    if (busy) return;
    if (key.upArrow) {
      if (histPos.current === 0) return;
      if (histPos.current === history.entries.length) draft.current = current.current;
      histPos.current--;
      replace(history.entries[histPos.current]!);
    } else if (key.downArrow) {
      if (histPos.current >= history.entries.length) return;
      histPos.current++;
      replace(histPos.current === history.entries.length ? draft.current : history.entries[histPos.current]!);
    } else if (key.tab) {
      const line = current.current;
      const r = applyCompletion(line, complete(line, session, cwd));
      setShown(r.shown);
      if (r.line !== line) replace(r.line);
    }
  });

  // Lines pasted together with their newlines wait here and run one after another.
  const pending = useRef<string[]>([]);

  const onChange = (v: string) => {
    // A paste arrives as one chunk and TextInput inserts it whole, newlines included.
    if (!/[\r\n]/.test(v)) return setValue(v);
    const lines = v.split(/\r\n|\r|\n/);
    const rest = lines.pop()!;
    pending.current.push(...lines.slice(1));
    replace(rest);
    submit(lines[0]!, rest);
  };

  const submit = (line: string, keep = "") => {
    if (busy) return;
    replace(keep);
    setShown([]);
    history.add(line);
    histPos.current = history.entries.length;
    draft.current = "";
    if (line.trim() === "") {
      push({ input: line, blocks: [] });
      return;
    }
    setBusy(true);
    const go = async (l: string): Promise<void> => {
      const r = await session.execute(l, { onProgress: setProgress });
      push({ input: l, blocks: r.blocks });
      setProgress("");
      if (r.quit) return exit();
      const next = pending.current.shift();
      if (next !== undefined) {
        history.add(next);
        histPos.current = history.entries.length;
        return go(next);
      }
      setBusy(false);
    };
    void go(line);
  };

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
        <Box>
          <Text color="cyan">{PROMPT}</Text>
          <TextInput key={inputKey} value={value} onChange={onChange} onSubmit={() => submit(current.current)} />
        </Box>
      )}
      {shown.length > 0 && <Text color="gray">{shown.join("  ")}</Text>}
    </>
  );
}
