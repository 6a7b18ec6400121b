/**
 * package.json's extension fields against the ids and lists in the code, so a
 * renamed command, a new strategy or a moved file cannot silently break the
 * palette, the settings UI or the VSIX.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ACTIVE_EDITOR_IS_SHARD, BALANCE_VIEW_TYPE, Commands } from '../../../extension/src/contributionIds';
import { STRATEGY_DESCRIPTIONS, STRATEGY_ORDER } from '../../../extension/src/strategies';
import { SettingKeys } from '../../../server/src/lsp/protocol';
import { DEFAULT_MAX_MOVES, MAX_MAX_MOVES } from '../../../server/src/lsp/settings';
import { STRATEGIES } from '../../../server/src/plan/types';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const contributes = pkg.contributes;
const settings = contributes.configuration.properties as Record<string, Record<string, unknown>>;
const rel = (p: string) => path.join(ROOT, p.replace(/^\.\//, ''));

describe('package.json contributes', () => {
  it('lists every palette command, in the ShardLens category', () => {
    const ids = (contributes.commands as Array<{ command: string; category: string }>).map((c) => c.command).sort();
    assert.deepEqual(
      ids,
      [Commands.replan, Commands.replanWith, Commands.replanMoves, Commands.restartServer, Commands.showBalance, Commands.whatIf, Commands.showPlacementDiff].sort(),
    );
    for (const c of contributes.commands) assert.equal(c.category, 'ShardLens');
  });

  it('hides the document commands from the palette unless a shard config is active', () => {
    const palette = contributes.menus.commandPalette as Array<{ command: string; when: string }>;
    assert.deepEqual(
      palette.map((m) => m.command).sort(),
      [Commands.replan, Commands.replanWith, Commands.replanMoves, Commands.showBalance, Commands.whatIf, Commands.showPlacementDiff].sort(),
    );
    for (const m of palette) assert.equal(m.when, ACTIVE_EDITOR_IS_SHARD);
    assert.deepEqual(
      contributes.menus['editor/title'].map((m: { command: string }) => m.command),
      [Commands.showBalance],
    );
  });

  it('offers exactly the planner strategies, with one description each', () => {
    const s = settings['shardlens.replan.strategy'];
    assert.deepEqual(s.enum, STRATEGY_ORDER);
    assert.deepEqual(
      s.enumDescriptions,
      STRATEGY_ORDER.map((x) => STRATEGY_DESCRIPTIONS[x]),
    );
    assert.deepEqual([...STRATEGY_ORDER].sort(), [...STRATEGIES].sort());
    assert.equal(s.default, 'best');
  });

  it('declares the settings the server reads, resource scoped, and a window-scoped trace', () => {
    for (const key of [SettingKeys.costModelPaths, SettingKeys.costModelCalibrations, SettingKeys.replanStrategy, SettingKeys.imbalanceThreshold, SettingKeys.replanMaxMoves]) {
      const s = settings[`${SettingKeys.section}.${key}`];
      assert.ok(s, key);
      assert.equal(s.scope, 'resource', key);
    }
    assert.equal(settings['shardlens.trace.server'].scope, 'window');
    assert.deepEqual(settings['shardlens.trace.server'].enum, ['off', 'messages', 'verbose']);
    assert.equal(settings['shardlens.diagnostics.imbalanceThreshold'].default, 1.25);
    assert.equal(settings['shardlens.replan.maxMoves'].default, DEFAULT_MAX_MOVES);
    assert.equal(settings['shardlens.replan.maxMoves'].maximum, MAX_MAX_MOVES);
  });

  it('restricts the model paths and calibration settings in untrusted workspaces', () => {
    const u = pkg.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, 'limited');
    assert.deepEqual(
      u.restrictedConfigurations,
      [SettingKeys.costModelPaths, SettingKeys.costModelCalibrations].map((k) => `${SettingKeys.section}.${k}`),
    );
    for (const key of u.restrictedConfigurations) assert.ok(settings[key], key);
  });

  it('activates on shard configs and restores the balance panel', () => {
    for (const e of ['workspaceContains:**/*.shard.yaml', 'onLanguage:shardlens', `onWebviewPanel:${BALANCE_VIEW_TYPE}`]) {
      assert.ok(pkg.activationEvents.includes(e), e);
    }
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.equal(pkg.main, './dist/extension.js');
    assert.match(readFileSync(path.join(ROOT, 'esbuild.config.mjs'), 'utf8'), /outfile: 'dist\/extension\.js'/);
  });

  it('points at files that exist: language configuration, grammar, schema', () => {
    const lang = contributes.languages[0];
    assert.equal(lang.id, 'shardlens');
    assert.deepEqual(lang.extensions, ['.shard.yaml', '.shard.yml']);
    const conf = JSON.parse(readFileSync(rel(lang.configuration), 'utf8'));
    assert.equal(conf.comments.lineComment, '#');
    const grammar = JSON.parse(readFileSync(rel(contributes.grammars[0].path), 'utf8'));
    assert.equal(grammar.scopeName, contributes.grammars[0].scopeName);
    const schemaUrl = contributes.yamlValidation[0].url;
    assert.equal(contributes.jsonValidation[0].url, schemaUrl);
    assert.ok(existsSync(rel(schemaUrl)), `${schemaUrl} exists`);
  });

  it('.vscodeignore keeps what the manifest points at', () => {
    const ignore = readFileSync(rel('.vscodeignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const keep of [
      '!dist/extension.js',
      '!dist/cli.js',
      '!dist/webview.js',
      '!dist/webview.css',
      '!extension/language-configuration.json',
      '!extension/syntaxes/**',
      '!server/schema/*.json',
    ]) {
      assert.ok(ignore.includes(keep), keep);
    }
  });
});
