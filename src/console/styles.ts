/** The console's one stylesheet, served as a file (the CSP allows no inline style). */
export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:100%;line-height:1.5;color:#1b1f24;background:#f6f7f9}
body{margin:0}
a{color:#0b57a4}
a:hover{color:#073a6e}
:focus-visible{outline:3px solid #c75000;outline-offset:2px}
.skip{position:absolute;left:.5rem;top:-3rem;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{top:.5rem}
.top{background:#12263f;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
.top a{color:#fff}
.brand{font-weight:700;margin:0;font-size:1.1rem}
.network{font-size:.875rem;background:#28466e;border-radius:.25rem;padding:0 .5rem}
.who{margin-left:auto;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;font-size:.875rem}
.who form{margin:0}
.top button{background:transparent;color:#fff;border:1px solid #9fb3cc}
nav.pages{background:#e3e8ef;padding:0 1rem}
nav.pages ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:0 1rem}
nav.pages a{display:inline-block;padding:.5rem 0;text-decoration:none;font-weight:600}
nav.pages a[aria-current=page]{border-bottom:3px solid #12263f;color:#12263f}
main{padding:1rem;max-width:80rem;margin:0 auto}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem}
.flash,.summary{border-left:.35rem solid;padding:.75rem 1rem;margin:0 0 1rem;background:#fff}
.flash.ok{border-color:#1e7b34}
.flash.error,.summary{border-color:#b3261e}
.summary h2{margin:0 0 .5rem;font-size:1.05rem}
.summary ul{margin:0;padding-left:1.2rem}
.problem-code{font-family:ui-monospace,monospace;font-size:.9rem}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;background:#fff;padding:1rem;margin-bottom:1rem}
.field{display:flex;flex-direction:column;gap:.25rem;min-width:12rem;flex:1 1 12rem;margin-bottom:.75rem}
form.filters .field{margin-bottom:0}
label{font-weight:600}
.hint{font-size:.875rem;color:#4a5562}
.field-error{color:#b3261e;font-weight:600;font-size:.9rem}
input,select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #6b7785;border-radius:.25rem;background:#fff;color:inherit;max-width:100%}
[aria-invalid=true]{border:2px solid #b3261e}
textarea{min-height:8rem;width:100%}
button,.button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:.25rem;border:1px solid #12263f;background:#12263f;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#12263f}
button.danger{background:#b3261e;border-color:#b3261e}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:1rem 0}
.table-wrap{overflow-x:auto;background:#fff;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.5rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d5dbe3;vertical-align:top}
th{background:#eef1f5}
td.num,th.num{text-align:right}
td code{word-break:break-all}
.empty{padding:1rem;background:#fff}
.pager{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.status-failure{color:#b3261e;font-weight:600}
.panel{background:#fff;padding:1rem;max-width:28rem}
.confirm{background:#fff;padding:1rem;border-left:.35rem solid #b3261e}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
section.body{background:#fff;border:1px solid #d5dbe3;padding:.75rem;margin:0 0 1rem;max-height:32rem;overflow:auto}
section.body pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.875rem}
.response,.preview{background:#fff;padding:.75rem 1rem;margin:0 0 1rem}
.preview{border-left:.35rem solid #0b57a4}
.response h3{margin:0 0 .25rem;font-size:1.05rem}
.compare{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
.compare .response{padding:0}
.lead{font-weight:600}
label.check{font-weight:400;display:flex;gap:.5rem;align-items:flex-start}
.panel.wide{max-width:48rem;margin:1.5rem 0}
.panel h2{margin-top:0}
.tag{display:inline-block;border-radius:.25rem;padding:0 .4rem;font-size:.85rem;font-weight:600;border:1px solid}
.tag-waiting{color:#6a4a00;background:#fff6d6;border-color:#b58900}
.tag-done{color:#14592a;background:#e3f4e8;border-color:#1e7b34}
.tag-refused{color:#8c1d17;background:#fbe9e7;border-color:#b3261e}
.tag-withdrawn{color:#3d4550;background:#eceff3;border-color:#6b7785}
.block{background:#fff;border:1px solid #d5dbe3;padding:.75rem;margin:0 0 1rem;max-height:30rem;overflow:auto}
.block pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.9rem}
.note{background:#fff;border-left:.35rem solid #0b57a4;padding:.5rem 1rem;margin:0 0 1rem}
.note p{margin:.25rem 0}
.outcome{background:#fff;padding:.5rem 1rem;margin:0 0 1rem;border-left:.35rem solid}
.outcome.done{border-color:#1e7b34}
.outcome.refused{border-color:#b3261e}
.secret{background:#fff;border:2px solid #1e7b34;padding:1rem;margin:0 0 1rem}
.secret h2{margin-top:0}
.secret-value{width:100%;font-family:ui-monospace,monospace;margin-top:.25rem}
fieldset.checks{border:1px solid #d5dbe3;border-radius:.25rem;padding:.5rem 1rem;margin:0 0 .75rem}
fieldset.checks legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.5rem;align-items:baseline;margin:.35rem 0}
.check label{font-weight:400}
dl.facts dd{overflow-wrap:anywhere}
.cards,.link{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem;margin-bottom:1rem}
.card{background:#fff;padding:1rem}
.card h3{margin:0 0 .5rem;font-size:1.05rem}
.alerts{background:#fdecea;border-left:.35rem solid #b3261e;padding:.75rem 1rem;margin:0 0 1rem}
.alerts h2{margin:0 0 .5rem;font-size:1.15rem;color:#8c1d18}
.alerts ul{margin:0;padding-left:1.2rem}
.calm{background:#fff;border-left:.35rem solid #1e7b34;padding:.5rem 1rem}
.late{color:#8c1d18;background:#fdecea;font-weight:600}
dd.late{padding:0 .25rem}
.warn{color:#7a4100;font-weight:600}
.chart{background:#fff;margin:0 0 1rem;padding:1rem}
.chart figcaption{font-weight:600}
.chart-svg{display:block;width:100%;max-width:60rem;height:auto}
.bar-requests{fill:#0b57a4}
.bar-answers{fill:#1e7b34}
.axis{stroke:#4a5562;stroke-width:1}
.tick{font-size:9px;fill:#1b1f24}
.legend{font-size:.875rem;margin:.25rem 0}
.key{display:inline-block;width:.8rem;height:.8rem;vertical-align:middle}
.key-requests{background:#0b57a4}
.key-answers{background:#1e7b34;margin-left:.75rem}
details{margin-top:.5rem}
summary{cursor:pointer;font-weight:600}
form.inline{display:inline;margin:0}
form.upload{background:#fff;padding:1rem;margin-bottom:1rem}
input[type=file]{border:1px dashed #6b7785}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
.top-search{flex:1 1 14rem;max-width:24rem}
.top-search form{display:flex;gap:.25rem;margin:0}
.top-search input{flex:1 1 auto;min-width:0;border-color:#9fb3cc}
ol.results{list-style:none;margin:0;padding:0}
.result{background:#fff;padding:.75rem 1rem;margin:0 0 .75rem}
.result h3{margin:0 0 .25rem;font-size:1.05rem;overflow-wrap:anywhere}
.result .meta{margin:0 0 .5rem;font-size:.875rem;overflow-wrap:anywhere}
dl.snippets{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.snippets dt{font-weight:600;font-size:.875rem}
dl.snippets dd{margin:0;overflow-wrap:anywhere}
mark{background:#ffe58a;color:inherit;font-weight:600;padding:0 .1rem}
@media (max-width:40rem){main{padding:.75rem}.who{margin-left:0}.field{min-width:100%}.top-search{max-width:none}dl.snippets{grid-template-columns:1fr}}
`;
