// The nodes of the human-models detectors the quality benchmark may read (quality-backbones-choose.ts picks among
// them on validation data) and the input conventions tried; channels at each node in the comments.
import type { GraphBackboneSpec, GraphInput, GraphNode } from './quality-backbones.js';

const mnv3 = (alias: string, path: string): GraphNode => ({
  alias,
  node: `tower_0/MobilenetV3/${path}`,
  layout: 'nhwc',
});
const nano = (alias: string, layout: GraphNode['layout'] = 'nchw'): GraphNode => ({
  alias,
  node: `PartitionedCall/${alias}`,
  layout,
});

/** Stride-16 nodes (map candidates) first, then deeper ones; channels at each node in the comments. */
export const CANDIDATES: Record<
  GraphBackboneSpec['model'],
  { inputs: GraphInput[]; map: GraphNode[]; deep: GraphNode[] }
> = {
  centernet: {
    // human feeds CenterNet raw 0-255 pixels; 0-1 is the other plausible convention.
    inputs: ['rgb255', 'rgb01'],
    map: [
      mnv3('ec9_add', 'expanded_conv_9/add'), // 64
      mnv3('ec10_project', 'expanded_conv_10/project/BatchNorm/FusedBatchNorm'), // 88
      mnv3('ec11_add', 'expanded_conv_11/add'), // 88
      { alias: 'c4_reverse', node: 'tower_0/CenternetHead/c4_reverse/3x3/BatchNorm/FusedBatchNorm', layout: 'nhwc' }, // 128
    ],
    deep: [
      mnv3('ec11_expand', 'expanded_conv_11/expand/hard_swish/mul_1'), // 528, stride 16
      mnv3('ec12_expand', 'expanded_conv_12/expand/hard_swish/mul_1'), // 528, stride 16
      mnv3('ec13_add', 'expanded_conv_13/add'), // 120, stride 32
      mnv3('ec14_expand', 'expanded_conv_14/expand/hard_swish/mul_1'), // 720
      mnv3('ec14_add', 'expanded_conv_14/add'), // 120
      { alias: 'extern1', node: 'tower_0/extern1/hard_swish/mul_1', layout: 'nhwc' },
    ],
  },
  nanodet: {
    // human feeds NanoDet pixels / 255; NanoDet's own training used BGR with ImageNet mean and std.
    inputs: ['nchw-rgb01', 'nchw-bgr-imagenet'],
    map: [
      nano('onnx_tf_prefix_LeakyRelu_29'), // 128
      nano('onnx_tf_prefix_Concat_34'), // 128
      nano('onnx_tf_prefix_Concat_39'), // 128
      nano('onnx_tf_prefix_LeakyRelu_41'), // 128
      nano('Add_26', 'nhwc'), // 128, the PAN's lateral 1x1 at stride 16
    ],
    deep: [
      nano('onnx_tf_prefix_Concat_42'), // 256, stride 16
      nano('onnx_tf_prefix_LeakyRelu_44'), // 256, stride 32
      nano('onnx_tf_prefix_Concat_49'), // 256
      nano('onnx_tf_prefix_Concat_59'), // 256
      nano('onnx_tf_prefix_LeakyRelu_61'), // 256
      nano('onnx_tf_prefix_Concat_62'), // 512
      nano('Add_27', 'nhwc'), // 128, the PAN's lateral 1x1 at stride 32
    ],
  },
};

/** The node with this alias among a model's candidates. */
export function candidateNode(model: GraphBackboneSpec['model'], alias: string): GraphNode {
  const c = CANDIDATES[model];
  const n = [...c.map, ...c.deep].find((x) => x.alias === alias);
  if (!n) throw new Error(`${model} has no candidate node ${alias}`);
  return n;
}
