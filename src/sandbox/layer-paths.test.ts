import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerPaths } from './layer-paths.ts';

const L = '/data/layers/merged/abc';

test('/opt entries of the search paths point into the merged folder, order kept', () => {
  const env = {
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: '/lib64:/usr/lib64:/var/runtime:/var/task/lib:/opt/lib',
    NODE_PATH: '/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/rt/node_modules',
    LANG: 'en_US.UTF-8',
  };
  assert.deepEqual(layerPaths(env, L, 'nodejs20.x'), {
    PATH: `/usr/local/bin:/usr/bin/:/bin:${L}/bin`,
    LD_LIBRARY_PATH: `/lib64:/usr/lib64:/var/runtime:/var/task/lib:${L}/lib`,
    NODE_PATH: `${L}/nodejs/node20/node_modules:${L}/nodejs/node_modules:/rt/node_modules`,
  });
});

test('paths merely starting with /opt are left alone', () => {
  assert.deepEqual(layerPaths({ PATH: '/optional/bin:/opt' }, L, 'provided.al2023'), { PATH: `/optional/bin:${L}` });
});

test('Python runtimes get the python folders of the layers', () => {
  assert.deepEqual(layerPaths({}, L, 'python3.12'), { PYTHONPATH: `${L}/python/lib/python3.12/site-packages:${L}/python` });
  assert.deepEqual(layerPaths({ PYTHONPATH: '/var/runtime:/opt/python' }, L, 'python3.12'), { PYTHONPATH: `/var/runtime:${L}/python` });
});
