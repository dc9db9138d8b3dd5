/**
 * The tree the views build, written as HTML text: text and attributes are escaped (a topic name or a
 * record's value never becomes markup), void elements have no end tag, `textOf` reads what the DOM's
 * textContent would, and a table keeps a cell that is already a `td`. A property: any text put in
 * comes back out of `textOf` unchanged and never opens a tag in the HTML.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { findAll, h, liveness, nameList, statusItem, tableOf, textOf, toHtml } from "../src/index.ts";

describe("tree", () => {
  test("text and attributes are escaped; void elements have no end tag", () => {
    const tree = h("p", { title: 'a "b" <c>' }, ["<script>alert(1)</script> & more", h("br"), 7]);
    expect(toHtml(tree)).toBe(
      '<p title="a &quot;b&quot; &lt;c&gt;">&lt;script&gt;alert(1)&lt;/script&gt; &amp; more<br>7</p>',
    );
    expect(textOf(tree)).toBe("<script>alert(1)</script> & more7");
  });

  test("a bad element or attribute name is refused with the name in the message", () => {
    expect(() => h("p onclick", {})).toThrow('"p onclick" is not an element name');
    expect(() => h("p", { "on click": "x" })).toThrow('"on click" is not an attribute name (on <p>)');
  });

  test("a table: caption, header row, body rows; a td cell is kept as it is", () => {
    const tree = tableOf(
      "Brokers",
      ["broker", "liveness"],
      [
        ["b0", liveness("up")],
        [h("td", { class: "found" }, ["b1"]), liveness("fenced")],
      ],
      { id: "brokers" },
    );
    expect(toHtml(tree)).toBe(
      '<table id="brokers"><caption>Brokers</caption><thead><tr><th scope="col">broker</th><th scope="col">liveness</th></tr></thead>' +
        '<tbody><tr><td>b0</td><td><span class="up">up</span></td></tr><tr><td class="found">b1</td><td><span class="down">fenced</span></td></tr></tbody></table>',
    );
    expect(findAll(tree, (e) => e.tag === "tr").length).toBe(3);
  });

  test("a status item and a list of names in the studio's words", () => {
    expect(toHtml(statusItem("Cluster id", "abc", "cluster-id"))).toBe(
      '<div><dt>Cluster id</dt><dd id="cluster-id" data-testid="cluster-id">abc</dd></div>',
    );
    expect(nameList(["b0", "b2"])).toBe("[b0, b2]");
  });

  test("a tree nested too deep is refused rather than written", () => {
    let tree = h("span", {}, ["x"]);
    for (let i = 0; i < 100; i++) tree = h("span", {}, [tree]);
    expect(() => toHtml(tree)).toThrow("nested deeper than 64 levels");
  });

  test("property: any text comes back from textOf unchanged and opens no tag in the HTML", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const tree = h("div", { "data-x": b }, [a, h("span", {}, [b])]);
        expect(textOf(tree)).toBe(a + b);
        const html = toHtml(tree);
        expect(html.match(/</g)?.length).toBe(4);
      }),
    );
  });
});
