/** The stylesheet every report page starts from: system fonts, light theme, WCAG AA contrast for text and badges. */
export const PAGE_CSS = `
:root{--ink:#101828;--ink-2:#344054;--muted:#5d6679;--line:#e4e7ec;--bg:#f5f6f8;--panel:#fff;--accent:#1849a9;
--high:#b42318;--high-bg:#fef3f2;--high-line:#fecdca;--medium:#93370d;--medium-bg:#fffaeb;--medium-line:#fedf89;
--low:#1849a9;--low-bg:#eff8ff;--low-line:#b2ddff;--ok:#067647;--ok-bg:#ecfdf3;--flag:#d92d20;--clean:#8aa4c8}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,"Noto Sans",sans-serif}
code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.92em}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
.masthead{background:#0c111d;color:#f2f4f7;padding:22px 0 26px;border-bottom:4px solid var(--flag)}
.brand{display:flex;align-items:center;gap:8px;margin:0;font-weight:700;letter-spacing:.02em;color:#fff}
.brand span{font-weight:400;color:#b9c0cc}
.masthead h1{margin:10px 0 14px;font-size:26px;line-height:1.2;word-break:break-all}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px 24px;margin:0}
.meta div.wide{grid-column:1/-1}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#b9c0cc}
.meta dd{margin:2px 0 0;color:#fff;overflow-wrap:anywhere}
.meta code{color:#e4e7ec}
.meta time{white-space:nowrap}
nav.toc{background:var(--panel);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
nav.toc ul{display:flex;flex-wrap:wrap;gap:2px 18px;list-style:none;margin:0;padding:10px 0}
nav.toc a{color:var(--ink-2);text-decoration:none;font-weight:500}
nav.toc a:hover,nav.toc a:focus{color:var(--accent);text-decoration:underline}
main{padding:20px 0 40px}
section{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
section>h2{margin:0 0 4px;font-size:17px}
.lead{margin:0 0 14px;color:var(--muted)}
.grid-2{margin:0 0 18px;display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:18px}
.grid-2>section{margin:0}
.verdict{margin:0 0 18px;padding:14px 18px;border-radius:10px;border:1px solid;font-size:15px}
.verdict-high{background:var(--high-bg);border-color:var(--high-line);color:var(--high)}
.verdict-medium{background:var(--medium-bg);border-color:var(--medium-line);color:var(--medium)}
.verdict-low{background:var(--low-bg);border-color:var(--low-line);color:var(--low)}
.verdict-clean{background:var(--ok-bg);border-color:#abefc6;color:var(--ok)}
.notice{background:var(--medium-bg);border-color:var(--medium-line);color:var(--medium)}
.notice ul{margin:6px 0 0;padding-left:20px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:0 0 18px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 16px;border-top:4px solid #98a2b3}
.card p{margin:0}
.card-label{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
.card-value{font-size:28px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}
.card-of{font-size:16px;color:var(--muted);font-weight:500}
.card-note{font-size:12.5px;color:var(--muted)}
.card-flagged,.card-failed{border-top-color:var(--flag)}.card-flagged .card-value{color:var(--high)}
.card-high{border-top-color:var(--high)}.card-medium{border-top-color:#dc6803}.card-low{border-top-color:#2e90fa}
.chart-wrap{overflow-x:auto}
.chart{width:100%;min-width:560px;height:auto;max-height:360px;display:block}
.chart .grid{stroke:#eaecf0}.chart .axis{stroke:#667085}
.chart .tick,.chart .bar-label{font-size:11px;fill:var(--muted)}
.chart .axis-title{font-size:12px;fill:var(--ink-2)}
.chart .bar-clean{fill:var(--clean)}.chart .bar-flagged{fill:var(--flag)}
.chart .threshold{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:5 4}
.chart .threshold-label{font-size:12px;font-weight:600;fill:var(--ink)}
.legend{display:flex;flex-wrap:wrap;gap:16px;margin:8px 0 0;padding:0;list-style:none;color:var(--ink-2);font-size:13px}
.key{display:inline-flex;align-items:center;gap:6px}
.key::before{content:"";width:12px;height:12px;border-radius:3px;background:var(--clean)}
.key-flagged::before{background:var(--flag)}
.key-threshold::before{height:0;border-top:2px dashed var(--ink);border-radius:0}
details{margin-top:10px}summary{cursor:pointer;color:var(--accent)}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table.data{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
table.data caption{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.data th,table.data td{padding:9px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data thead th{background:#f9fafb;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--ink-2);
border-bottom:2px solid var(--line);white-space:nowrap;position:sticky;top:0}
table.data tbody tr:hover{background:#f9fafb}
table.data tbody th{font-weight:600}
table.compact th,table.compact td{padding:6px 10px}
.num{text-align:right!important;white-space:nowrap}
.bar-cell{width:32%;min-width:120px;vertical-align:middle!important}
.share{width:100%;height:12px;display:block}
.share-track{fill:#f2f4f7}.share-value{fill:var(--clean)}.share-flagged{fill:var(--flag)}
.muted{color:var(--muted)}.small{font-size:12.5px}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid;white-space:nowrap}
.status-ok{color:var(--ok);background:var(--ok-bg);border-color:#abefc6}
.status-skipped{color:#475467;background:#f2f4f7;border-color:#d0d5dd}
.status-failed,.sev-high{color:var(--high);background:var(--high-bg);border-color:var(--high-line)}
.sev-medium{color:var(--medium);background:var(--medium-bg);border-color:var(--medium-line)}
.sev-low{color:var(--low);background:var(--low-bg);border-color:var(--low-line)}
.chip{display:inline-block;margin:0 4px 4px 0;padding:0 6px;border-radius:4px;background:#f2f4f7;
font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--ink-2);overflow-wrap:anywhere}
.chip-key{color:var(--muted)}
.detector-id{white-space:nowrap}.params{max-width:360px}.notes p{margin:0 0 4px}.reason{color:var(--ink-2)}.warning-text{color:var(--medium)}
.kind{display:inline-block;padding:0 6px;border-radius:4px;background:#f4ebff;color:#6927da;
font:600 12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.thumb{display:block;image-rendering:pixelated;border:1px solid var(--line);border-radius:4px;background:#000}
.snippet{margin:4px 0 0;font-size:12.5px;color:var(--ink-2);overflow-wrap:anywhere}
.snippet mark{background:#fedf89;color:var(--ink);padding:0 2px;border-radius:2px;font-weight:600}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.attack{border:1px solid var(--high-line);border-left:4px solid var(--high);border-radius:8px;padding:12px 16px;margin:0 0 14px}
.attack h3{margin:0 0 10px;font-size:15px}
.attack-body{display:flex;flex-wrap:wrap;gap:16px 24px;align-items:flex-start}
.attack-picture:empty{display:none}
.trigger-picture{display:block;background:#000;border-radius:4px}
.trigger-picture .trigger-box{fill:none;stroke:#f97066;stroke-width:.6}
.average{display:block;image-rendering:pixelated;border-radius:4px;background:#000}
.heatmap{display:block;height:auto;border:1px solid var(--line);border-radius:4px}.heatmap-bg{fill:#fcfcfd}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:6px 20px;margin:0 0 10px}
.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.exemplars{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.exemplar{margin:0;font-size:11.5px;color:var(--muted)}.exemplar-text{max-width:360px}
table.matrix{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:12.5px}
table.matrix caption{text-align:left;color:var(--muted);font-size:12px;padding:0 0 4px}
table.matrix th,table.matrix td{border:1px solid var(--line);padding:3px 7px;min-width:30px}
table.matrix td{background:rgba(217,45,32,calc(var(--share,0)*.55))}
table.matrix td.attacked{outline:3px solid var(--ink);outline-offset:-3px;font-weight:700}
.next-step{background:#f9fafb;border:1px solid var(--line);border-radius:8px;padding:10px 16px}
.next-step h3{margin:0 0 4px;font-size:15px}
.next-step pre{margin:6px 0;padding:8px 12px;background:#0c111d;color:#f2f4f7;border-radius:6px;overflow-x:auto}
.download{font-weight:600;color:var(--accent)}
details.group{border:1px solid var(--line);border-radius:8px;padding:8px 14px;margin:0 0 8px}
details.group>summary{color:var(--ink);font-weight:600}
.group-count{display:inline-block;min-width:44px;margin-right:8px;color:var(--high);font-variant-numeric:tabular-nums}
.explanation{color:var(--ink-2);margin:8px 0}
.findings{margin:0;padding:0;list-style:none}.findings li{margin:0 0 6px}.findings li:last-child{margin:0}
.histograms{display:flex;flex-wrap:wrap;gap:10px 28px;margin:0 0 16px}
.histogram{margin:0;font-size:12px;color:var(--muted)}
.histogram svg{display:block;border-bottom:1px solid #98a2b3}
.histogram .bar-clean{fill:var(--clean)}.histogram .bar-flagged{fill:var(--flag)}
.drift-map{margin:0 0 14px}.drift-map figcaption{font-size:12.5px;color:var(--muted);max-width:760px}
.drift-share{margin:0 0 8px}
.columns .shift{display:block;height:8px;border-radius:2px;background:var(--flag);min-width:1px}
.spark{display:block}.spark .line-reference{fill:none;stroke:#98a2b3;stroke-width:2.5}
.spark .line-batch{fill:none;stroke:var(--accent);stroke-width:1.5}
footer{color:var(--muted);font-size:12.5px;padding:0 0 32px}
@media (max-width:640px){.wrap{padding:0 14px}.masthead h1{font-size:21px}section{padding:14px}.card-value{font-size:23px}}
@media print{nav.toc{display:none!important}body{background:#fff}section,.card{break-inside:avoid}}
`
