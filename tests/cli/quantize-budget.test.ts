// `pq quantize --budget` where the training code cannot be loaded (an installed package: no
// examples/, no TensorFlow.js) stops with PQ6013 saying how to get it, not a stack trace.
import { describe, expect, it, vi } from "vitest";
import { pq } from "./harness.js";

vi.mock("../../examples/mnist/mixed.js", () => {
  const e = new Error("Cannot find package '@tensorflow/tfjs' imported from examples/mnist/mixed.js") as NodeJS.ErrnoException;
  e.code = "ERR_MODULE_NOT_FOUND";
  throw e;
});

describe("pq quantize --budget without its training dependencies", () => {
  it("is PQ6013 with the reason and how to install them, exit 1", async () => {
    const r = await pq("quantize", "examples/resnet/mnist_relu_w8a8.pq", "--budget", "44MB");
    expect(r.code).toBe(1);
    expect(r.err).toContain("error PQ6013: mixed precision under a budget needs pq's training code and TensorFlow.js, which are not installed (Cannot find package '@tensorflow/tfjs'");
    expect(r.err).toContain("npm ci");
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
