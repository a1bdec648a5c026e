/* Renders the procedure diagram (mermaid 11, vendored; see mermaid.LICENSE). */
window.mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "neutral" });
