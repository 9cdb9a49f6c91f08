import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', '*.ts', 'scripts/*.mjs', 'scripts/*.d.mts', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // fastify plugins and hooks are async by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  // Tests beside the code are kept out of their workspace's build (tsconfig `exclude`), so the project
  // service cannot place them; their test configs type them instead.
  {
    files: ['{contracts,store,broker,ingest,api,devices}/src/**/*.test.ts', '{ingest,devices}/src/**/*.fixture.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['contracts/tsconfig.test.json', 'store/testing/tsconfig.json', 'broker/tsconfig.test.json', 'ingest/test/tsconfig.json', 'api/testing/tsconfig.json', 'devices/test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
