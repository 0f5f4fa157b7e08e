// @ts-check
// ESLint as `nest new` sets it up: typescript-eslint with type information, Prettier as a rule.
import eslint from '@eslint/js';
import eslintPluginPrettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      // A user's app, not ours: scripts/consumer-check.mjs compiles it with its own tsconfig against
      // the packed packages, and its src/app.module.ts must stay equal to the README's quick start.
      'examples/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  eslintPluginPrettierRecommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A caught value is `unknown` (useUnknownInCatchVariables): passing it on as a rejection is a
      // rethrow, which only-throw-error allows by default (allowThrowingUnknown) and this rule does not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // The plain JavaScript (jest.config.js, this file, scripts/*.mjs) is in no tsconfig: linted
    // without type information (last, so that no rule above turns a type-aware rule back on).
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
