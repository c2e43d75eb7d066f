/* chaintracer viewer: word-by-word differences between a baseline text and another (longest common subsequence). */
(function (CT) {
  "use strict";
  const { h } = CT;

  const MAX_CELLS = 400000; // words(a) x words(b) past which the texts are shown as replaced whole

  // Words, runs of spaces, and each punctuation mark apart ("Paris." is "Paris" and ".").
  function tokens(text) {
    return String(text).match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) || [];
  }

  // [{op: "same" | "del" | "add", text}] turning ``before`` into ``after``, word by word.
  function wordDiff(before, after) {
    const a = tokens(before);
    const b = tokens(after);
    if (a.length * b.length > MAX_CELLS) {
      return [
        { op: "del", text: String(before) },
        { op: "add", text: String(after) },
      ];
    }
    // lengths[i][j]: the LCS of a[i:] and b[j:], in one flat array.
    const cols = b.length + 1;
    const lengths = new Uint32Array((a.length + 1) * cols);
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        lengths[i * cols + j] =
          a[i] === b[j]
            ? lengths[(i + 1) * cols + j + 1] + 1
            : Math.max(lengths[(i + 1) * cols + j], lengths[i * cols + j + 1]);
      }
    }
    const out = [];
    const push = (op, text) => {
      const last = out[out.length - 1];
      if (last && last.op === op) last.text += text;
      else out.push({ op: op, text: text });
    };
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) {
        push("same", a[i]);
        i++;
        j++;
      } else if (lengths[(i + 1) * cols + j] >= lengths[i * cols + j + 1]) {
        push("del", a[i++]);
      } else {
        push("add", b[j++]);
      }
    }
    while (i < a.length) push("del", a[i++]);
    while (j < b.length) push("add", b[j++]);
    return out;
  }

  // ``after`` as text nodes with <ins> for words added and <del> for words removed since ``before``.
  function diffNodes(before, after) {
    return wordDiff(before, after).map((part) =>
      part.op === "same" ? part.text : h(part.op === "add" ? "ins" : "del", { text: part.text }),
    );
  }

  Object.assign(CT, { wordDiff, diffNodes });
})(window.CT);
