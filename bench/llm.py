"""Benchmark: generation speed of bizpilot's local backend beside raw llama-cpp-python, same prompt, same process.

    .venv/bin/python bench/llm.py [--model PATH] [--threads N] [--max-tokens 128] [--repeats 5]

Both sides load the same GGUF (default: the bundled SmolLM2-135M-Instruct) with the same n_threads and n_ctx and
generate for the same chat messages at temperature 0 with the same max_tokens. Raw is one
``Llama.create_chat_completion`` call; ours is ``LocalBackend.generate`` with everything the base adds (worker
thread and time limit, streaming, token accounting, call log). Runs alternate raw/ours so background load hits
both alike; tokens/s are generated tokens over the wall time of the whole call (prompt included), and the
medians are compared. The target is ours within 10 % of raw.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant for a wholesale business."},
    {"role": "user", "content": "Write a long, detailed story about a warehouse manager who ships ten thousand "
                                "boxes of bolts to a new customer. Describe every step."},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: the bundled SmolLM2)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-ctx", type=int, default=2048)
    args = parser.parse_args()

    import llama_cpp

    from bizpilot.llm import CallLog, ChatOptions, Message
    from bizpilot.llm.local import LocalBackend, bundled_model_path

    model = (args.model or bundled_model_path()).resolve()
    raw = llama_cpp.Llama(model_path=str(model), n_ctx=args.n_ctx, n_threads=args.threads,
                          n_threads_batch=args.threads, verbose=False)
    ours = LocalBackend(model_path=model, n_threads=args.threads, n_ctx=args.n_ctx, call_log=CallLog())
    messages = [Message(m["role"], m["content"]) for m in MESSAGES]  # type: ignore[arg-type]
    options = ChatOptions(max_tokens=args.max_tokens, temperature=0.0, top_p=1.0, seed=0)

    def run_raw() -> tuple[float, int, str]:
        started = time.perf_counter()
        out = raw.create_chat_completion(messages=MESSAGES, max_tokens=args.max_tokens, temperature=0.0,
                                         top_p=1.0, seed=0)
        seconds = time.perf_counter() - started
        return seconds, out["usage"]["completion_tokens"], out["choices"][0]["message"]["content"]

    def run_ours() -> tuple[float, int, str]:
        started = time.perf_counter()
        out = ours.generate(messages, options)
        seconds = time.perf_counter() - started
        return seconds, out.usage.completion_tokens, out.text

    # Warm-up (first-call allocations, page cache), and proof that both sides produce the same answer.
    (_, raw_tokens, raw_text), (_, our_tokens, our_text) = run_raw(), run_ours()
    same_text = raw_text == our_text and raw_tokens == our_tokens
    raw_tps: list[float] = []
    our_tps: list[float] = []
    for _ in range(args.repeats):
        for runner, speeds in ((run_raw, raw_tps), (run_ours, our_tps)):
            seconds, tokens, _text = runner()
            speeds.append(tokens / seconds)

    raw_median, our_median = statistics.median(raw_tps), statistics.median(our_tps)
    ratio = our_median / raw_median
    result = {
        "model": model.name, "n_threads": args.threads, "n_ctx": args.n_ctx, "max_tokens": args.max_tokens,
        "repeats": args.repeats, "raw_llama_cpp_tok_s": [round(x, 1) for x in raw_tps],
        "bizpilot_local_tok_s": [round(x, 1) for x in our_tps], "raw_median_tok_s": round(raw_median, 1),
        "bizpilot_median_tok_s": round(our_median, 1), "ratio": round(ratio, 3), "same_text": same_text,
        "within_10_percent": ratio >= 0.9, "llama_cpp_python": llama_cpp.__version__,
    }
    print(f"model                 : {model.name} (n_threads={args.threads}, max_tokens={args.max_tokens}, "
          f"temperature 0, {args.repeats} runs each, alternating)")
    print(f"raw llama-cpp-python  : {raw_median:7.1f} tok/s  (runs: {', '.join(f'{x:.1f}' for x in raw_tps)})")
    print(f"bizpilot local backend: {our_median:7.1f} tok/s  (runs: {', '.join(f'{x:.1f}' for x in our_tps)})")
    print(f"ratio ours/raw        : {ratio:.3f}  ({'within' if ratio >= 0.9 else 'NOT within'} 10 %; "
          f"same text: {same_text})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
