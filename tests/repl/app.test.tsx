// The Ink UI driven through ink-testing-library: typing, history, completion, errors.
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { App } from "../../cli/repl/App.js";
import { Cancelled, inProcess, type Backends } from "../../cli/repl/backends.js";
import { History } from "../../cli/repl/history.js";
import { Session } from "../../cli/repl/session.js";
import { fixture } from "./fixture.js";

const f = fixture();
// Generous: Ink re-subscribes its key handler after each render; the suite runs files in parallel.
const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const ENTER = "\r";
const UP = "\u001B[A";
const DOWN = "\u001B[B";
const TAB = "\t";
/** One key per write: a chunk of several is a paste, inserted as text. */
const BACKSPACE = "\u007F";

/** Render the app; `type` writes keys one chunk at a time and waits for Ink to settle. */
async function start(session = new Session(), history = new History(undefined)) {
  const app = render(<App session={session} history={history} cwd={f.dir} />);
  await tick();
  const type = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      await tick();
    }
  };
  /** Wait until the screen contains `s` (jobs finish asynchronously). */
  const until = async (s: string | RegExp, ms = 5000) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const frame = app.lastFrame() ?? "";
      if (typeof s === "string" ? frame.includes(s) : s.test(frame)) return frame;
      await tick(10);
    }
    throw new Error(`screen never showed ${String(s)}:\n${app.lastFrame()}`);
  };
  return { app, type, until, session, history };
}

describe("REPL UI", () => {
  it("types a statement and shows its inferred type", async () => {
    const { app, type, until } = await start();
    expect(app.lastFrame()!.split("\n").at(-1)).toBe("pq>");
    await type("input a: client i8[3]", ENTER);
    await until("a: client i8[3]");
    await type("let b = relu(a)", ENTER);
    const frame = await until("b: client i8[3] nonneg");
    expect(frame).toContain("pq> let b = relu(a)");
    app.unmount();
  });

  it("walks the history with Up and Down", async () => {
    const history = new History(undefined);
    const { app, type, until } = await start(new Session(), history);
    await type(":seed 1", ENTER);
    await until("seed: 1 (");
    await type(":seed 2", ENTER);
    await until("seed: 2 (");
    expect(history.entries).toEqual([":seed 1", ":seed 2"]);
    await type("dra");
    await type(UP);
    expect(app.lastFrame()!.split("\n").at(-1)).toContain("pq> :seed 2");
    await type(UP);
    expect(app.lastFrame()!.split("\n").at(-1)).toContain("pq> :seed 1");
    await type(DOWN, DOWN);
    expect(app.lastFrame()!.split("\n").at(-1)).toContain("pq> dra");
    // A recalled line is edited at its end (the cursor follows the recalled text).
    await type(UP, "0", ENTER);
    await until("seed: 20 (");
    app.unmount();
  });

  it("edits the line with Home/End and Ctrl-A/E/W/U, searches the history with Ctrl-R, clears the screen with Ctrl-L", async () => {
    const history = new History(undefined);
    const { app, type, until } = await start(new Session(), history);
    const prompt = () => app.lastFrame()!.split("\n").at(-1);
    await type(":seed 41", ENTER);
    await until("seed: 41 (");
    // Terminals send Home/End as ESC [ H / ESC [ F; Ctrl-A, E, W, U, R, L as 0x01, 0x05, 0x17, 0x15, 0x12, 0x0c.
    await type("seed 4", "\u001B[H", ":", "\u001B[F", "2");
    expect(prompt()).toBe("pq> :seed 42");
    await type("\u0001", "x", "\u0005", "y");
    expect(prompt()).toBe("pq> x:seed 42y");
    await type("\u0017");
    expect(prompt()).toBe("pq> x:seed");
    await type("\u0015");
    expect(prompt()).toBe("pq>");
    await type("\u0012", "4", "1");
    expect(prompt()).toBe("(reverse-i-search)'41': :seed 41");
    await type(ENTER);
    await until(/pq> :seed 41\nseed: 41 \([\s\S]*pq> :seed 41\nseed: 41 \(/);
    expect(history.entries).toEqual([":seed 41"]);
    await type("abc", "\u000C", "d");
    expect(app.stdout.frames.join("")).toContain("\u001B[2J");
    expect(prompt()).toBe("pq> abcd");
    app.unmount();
  });

  it("completes commands, layers and file paths with Tab", async () => {
    const { app, type, until, session } = await start();
    await type(":he", TAB, "run");
    expect(app.lastFrame()!.split("\n").at(-1)).toBe("pq> :help run");
    await type(...BACKSPACE.repeat(3));
    await type(...BACKSPACE.repeat(6), ":lo", TAB, "m", TAB);
    expect(app.lastFrame()!.split("\n").at(-1)).toBe("pq> :load m.pq");
    // Relative to the app's working directory: load by absolute path instead.
    await type(ENTER);
    await until(/loaded m\.pq|PQ2026/);
    await session.execute(`:load ${f.model}`);
    await type(":trace ", TAB);
    const frame = app.lastFrame()!;
    expect(frame).toContain("h  output");
    await type("o", TAB);
    expect(app.lastFrame()!.split("\n").at(-1)).toBe("pq> :trace output");
    app.unmount();
  });

  it("shows a failing statement as the CLI's diagnostic with code and caret, and keeps going", async () => {
    const { app, type, until } = await start();
    await type("let z = relu(q)", ENTER);
    const frame = await until("error PQ2001: unknown name 'q'");
    expect(frame).toMatch(/<repl>:1:14: error PQ2001[^\n]*\n\s+1 \| let z = relu\(q\)\n\s+\| {14}\^/);
    await type("input q: client i4[2]", ENTER);
    await until("q: client i4[2]");
    app.unmount();
  });

  it("suggests the nearest command for an unknown one", async () => {
    const { app, type, until } = await start();
    await type(":lod x", ENTER);
    await until("unknown command ':lod'; did you mean :load?");
    app.unmount();
  });

  it("runs a job with the per-layer table, and Ctrl-C on an idle prompt clears the line", async () => {
    const session = new Session();
    await session.execute(`:load ${f.model}`);
    const { app, type, until } = await start(session);
    await type(`:run ${f.input} 2pc`, ENTER);
    await until("output 0: 0");
    await until("client→");
    await type("abc", "\u0003");
    await until("Ctrl-C clears the line");
    expect(app.lastFrame()!.split("\n").at(-1)).not.toContain("abc");
    app.unmount();
  });

  it("Ctrl-C cancels a running job and the prompt comes back", async () => {
    // A backend that runs until cancelled, yielding to the event loop like the worker does.
    const slow: Backends = {
      ...inProcess,
      plain: (_g, _inputs, opts) => new Promise((_resolve, reject) => {
        opts.onLayer?.("m/h");
        opts.signal.addEventListener("abort", () => reject(new Cancelled()));
      }),
    };
    const session = new Session({ backends: slow });
    await session.execute(`:load ${f.model}`);
    const { app, type, until } = await start(session);
    await type(`:run ${f.input}`, ENTER);
    await until("[1/2] m/h  (Ctrl-C cancels)");
    await type("\u0003");
    await until(/cancelled\npq>$/);
    await type(":seed 3", ENTER);
    await until("seed: 3 (");
    app.unmount();
  });

  it("Ctrl-D leaves the line alone when it has text, and exits on an empty line", async () => {
    const { app, type } = await start();
    await type("abc", "\u0004");
    await tick(30);
    expect(app.lastFrame()!.split("\n").at(-1)).toBe("pq> abc");
    await type(...BACKSPACE.repeat(3), "\u0004", "zz");
    // The app has exited: nothing typed appears any more.
    expect(app.lastFrame()).not.toContain("zz");
    app.unmount();
  });

  it("runs each line of a paste in turn", async () => {
    const { app, type, until } = await start();
    await type(":seed 5\r:seed 6\r");
    await until(/seed: 5 [\s\S]*seed: 6 /);
    app.unmount();
  });
});
