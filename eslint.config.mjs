// n8n's own lint rules for community nodes (eslint-plugin-n8n-nodes-base), as upstream ships them,
// applied to this package's node and credential files and its package.json. The plugin's configs
// are in the old format, so their rule sets are reused in this flat config.
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tsParser from '@typescript-eslint/parser';

const plugins = { 'n8n-nodes-base': n8nNodesBase };

export default [
  {
    files: ['js/nodes/**/*.node.js'],
    plugins,
    rules: {
      ...n8nNodesBase.configs.nodes.rules,
      // The convention rule expects TypeScript sources (`*.node.ts`); this package ships plain JS.
      'n8n-nodes-base/node-filename-against-convention': 'off',
      // As in n8n's own scanner config: inputs and outputs use the NodeConnectionTypes enum, which
      // the community rules require, rather than the string 'main'.
      'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
      'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
    },
  },
  {
    files: ['js/credentials/**/*.credentials.js'],
    plugins,
    rules: {
      ...n8nNodesBase.configs.credentials.rules,
      'n8n-nodes-base/cred-filename-against-convention': 'off',
    },
  },
  {
    files: ['package.json'],
    languageOptions: { parser: tsParser },
    plugins,
    rules: n8nNodesBase.configs.community.rules,
  },
];
