import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'coverage/', '.venv/', 'bundle/manifests/', 'bundle/metadata/', 'dist/', 'scratch/', 'eslint.config.js'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers are how this code builds messages and paths.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Mocha's chai assertions are property accesses, and test doubles may be empty.
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // client-node's models are classes of plain data; the API and its own code use object literals.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
);
