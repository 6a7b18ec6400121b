/**
 * Every promise the engine (config, cost, plan, engine) makes is awaited or
 * handled: a statement whose value is a Promise and that neither awaits it,
 * voids it, assigns it nor attaches a handler (.then/.catch/.finally) lets the
 * work finish later, out of order. That is how a function turning async goes
 * wrong unnoticed: soloCosts became async (it polls the time budget) and the
 * move budget's two calls, still unawaited, let its searches start from
 * unfinished solo costs and plan worse. TypeScript's checker finds these by
 * type, which tsc itself does not report.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ENGINE = ['config', 'cost', 'plan', 'engine'].map((d) => path.join(ROOT, 'server', 'src', d) + path.sep);

/** `statement: text` for each expression statement of `files` that drops a promise. */
function droppedPromises(files: readonly string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(files, options);
  const checker = program.getTypeChecker();
  const out: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!files.includes(path.resolve(sf.fileName))) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isExpressionStatement(n) && drops(n.expression, checker)) {
        const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
        out.push(`${path.relative(ROOT, sf.fileName)}:${line + 1}: ${n.getText().split('\n')[0]}`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

function drops(e: ts.Expression, checker: ts.TypeChecker): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isAwaitExpression(e) || ts.isVoidExpression(e)) return false;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return false;
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ['then', 'catch', 'finally'].includes(e.expression.name.text)) return false;
  const type = checker.getTypeAtLocation(e);
  return (type.getSymbol()?.getName() ?? '') === 'Promise';
}

function options(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT).options;
}

describe('engine promises are awaited', () => {
  it('finds a dropped promise (the check can fail)', () => {
    const dir = path.join(ROOT, 'server', 'src', 'plan');
    const probe = path.join(dir, '__dropped_probe__.ts');
    const host = ts.createCompilerHost(options());
    const text = 'async function later(): Promise<number> { return 1; }\nexport function f(): void { later(); void later(); }\n';
    const read = host.readFile.bind(host);
    const exists = host.fileExists.bind(host);
    host.readFile = (f) => (path.resolve(f) === probe ? text : read(f));
    host.fileExists = (f) => path.resolve(f) === probe || exists(f);
    const program = ts.createProgram([probe], options(), host);
    const checker = program.getTypeChecker();
    const sf = program.getSourceFile(probe)!;
    const found: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isExpressionStatement(n) && drops(n.expression, checker)) found.push(n.getText());
      ts.forEachChild(n, visit);
    };
    visit(sf);
    assert.deepEqual(found, ['later();']);
  });

  it('no statement in config/, cost/, plan/ or engine/ drops a promise', () => {
    const files = ts.sys
      .readDirectory(path.join(ROOT, 'server', 'src'), ['.ts'])
      .map((f) => path.resolve(f))
      .filter((f) => ENGINE.some((d) => f.startsWith(d)));
    assert.ok(files.length > 50, `${files.length} engine files found`);
    assert.deepEqual(droppedPromises(files, options()), []);
  });
});
