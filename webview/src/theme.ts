/**
 * Chart colours from the editor theme. VS Code injects its theme colours into
 * every webview as `--vscode-*` CSS custom properties on <html> and swaps them
 * (plus the body class vscode-light/-dark/-high-contrast) on a theme change
 * (VS Code webview guide, "Theming webview content"). `--vscode-charts-*` are
 * the colours VS Code itself uses for charts.
 */
import type { ThemeColors } from './viewModel';

/** CSS variable and fallback for each colour the charts use. */
const VARS: Record<keyof ThemeColors, [string, string]> = {
  fwd: ['--vscode-charts-blue', '#3794ff'],
  bwd: ['--vscode-charts-purple', '#b180d7'],
  comm: ['--vscode-charts-orange', '#d18616'],
  input: ['--vscode-charts-yellow', '#cca700'],
  grad: ['--vscode-charts-red', '#f14c4c'],
  dp: ['--vscode-charts-green', '#89d185'],
  memory: ['--vscode-charts-green', '#89d185'],
  free: ['--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'],
  over: ['--vscode-charts-red', '#f14c4c'],
  foreground: ['--vscode-charts-foreground', '#cccccc'],
  grid: ['--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'],
  background: ['--vscode-editor-background', '#1e1e1e'],
};

/** Resolves the colours through `lookup` (a CSS variable → value, '' when unset). */
export function themeColors(lookup: (cssVar: string) => string): ThemeColors {
  const out = {} as ThemeColors;
  for (const key of Object.keys(VARS) as Array<keyof ThemeColors>) {
    const [cssVar, fallback] = VARS[key];
    out[key] = lookup(cssVar).trim() || fallback;
  }
  return out;
}

/** The colours of the document's current theme. */
export function readThemeColors(doc: Document): ThemeColors {
  const style = getComputedStyle(doc.documentElement);
  return themeColors((v) => style.getPropertyValue(v));
}

/** Calls `onChange` whenever VS Code swaps the theme (style/class on <html> or <body>). */
export function watchTheme(doc: Document, onChange: () => void): MutationObserver {
  const observer = new MutationObserver(() => onChange());
  observer.observe(doc.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  if (doc.body) observer.observe(doc.body, { attributes: true, attributeFilter: ['class'] });
  return observer;
}
