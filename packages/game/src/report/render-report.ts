import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@mixnsqueeze/core';
import { type Figure, buildFigures } from './figures.ts';
import { type ReportData } from './report-data.ts';
import { agreementTable } from './agreement.ts';
import { type Table, accuracyTable, adaptiveTable, advantageTable, htmlTable, markdownTable } from './tables.ts';

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}figure{display:inline-block;margin:.5em}
figcaption{font-size:12px;color:#555;max-width:400px}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}`;

function tables(data: ReportData): Table[] {
  const agreement = agreementTable(data);
  return [
    accuracyTable(data, false),
    accuracyTable(data, true),
    ...(data.config.adaptive.length ? [adaptiveTable(data)] : []),
    advantageTable(data),
    ...(agreement ? [agreement] : []),
  ];
}

/** The run's config as printed: its seed withheld until the run has finished. */
function shownConfig(data: ReportData): string {
  return JSON.stringify(data.finished ? data.config : { ...data.config, seed: '(withheld until the run has finished)' }, null, 2);
}

function meta(data: ReportData): string {
  const t = Object.entries(data.timings).map(([k, v]) => `${k}: ${formatDuration(v)}`);
  return [
    `- run: \`${data.runId}\`, started ${data.createdAt}`,
    `- config: \`${data.config.name}\` (${data.config.description || 'no description'}), dataset \`${data.config.dataset}\`, model \`${data.config.model}\``,
    `- test set: ${data.config.testSet ?? data.config.dataset}`,
    data.finished
      ? `- master seed: \`${data.config.seed}\` (every key and attack seed derives from it; \`reproduce --seed ${data.config.seed}\` replays the run)`
      : '- master seed: withheld until the run has finished (it is stored with the run; resuming the run uses it)',
    `- versions: ${Object.entries(data.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- compute time per stage (attack sets: generation time, even where served from the cache): ${t.join(', ')}`,
  ].join('\n');
}

/** Writes report.md, report.html (self-contained: inline SVG) and figures/*.svg into `dir`, each atomically. */
export async function writeReport(data: ReportData, dir: string, commentary = ''): Promise<{ markdown: string; html: string; figures: Figure[] }> {
  const figures = await buildFigures(data);
  const ts = tables(data);
  const markdown = [
    `# Mix'n'Squeeze reproduction: ${data.config.name}`,
    '',
    meta(data),
    '',
    commentary,
    ...ts.map(markdownTable),
    '## Figures',
    '',
    ...figures.map((f) => `![${f.caption}](figures/${f.name}.svg)\n\n${f.caption}\n`),
    '## Configuration',
    '',
    '```json',
    shownConfig(data),
    '```',
    '',
  ].join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Mix'n'Squeeze: ${data.config.name}</title><style>${CSS}</style></head><body>
<h1>Mix'n'Squeeze reproduction: ${data.config.name}</h1>
<ul>${meta(data)
    .split('\n')
    .map((l) => `<li>${l.slice(2).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`)
    .join('')}</ul>
${commentary ? `<div>${commentary.split('\n\n').map((p) => `<p>${p}</p>`).join('')}</div>` : ''}
${ts.map(htmlTable).join('\n')}
<h2>Figures</h2>
${figures.map((f) => `<figure id="${f.name}">${f.svg}<figcaption>${f.caption}</figcaption></figure>`).join('\n')}
<h2>Configuration</h2><pre>${shownConfig(data).replace(/</g, '&lt;')}</pre>
</body></html>`;
  await mkdir(join(dir, 'figures'), { recursive: true });
  for (const f of figures) await writeFileAtomic(join(dir, 'figures', `${f.name}.svg`), f.svg);
  await writeFileAtomic(join(dir, 'report.md'), markdown);
  await writeFileAtomic(join(dir, 'report.html'), html);
  return { markdown, html, figures };
}

/** 12.3 s, 4.5 min or 1.2 h. */
function formatDuration(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`;
}
