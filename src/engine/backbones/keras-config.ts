// The few fields of a Keras functional-model config (as stored in a TF.js Layers model.json) that we read.

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** [[[inboundLayerName, nodeIndex, tensorIndex, kwargs], ...]] */
  inbound_nodes: [string, number, number, unknown][][];
}

export interface KerasModelConfig {
  name: string;
  layers: KerasLayer[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

export interface KerasTopology {
  keras_version?: string;
  backend?: string;
  model_config: { class_name: string; config: KerasModelConfig };
}

export function inboundNames(layer: KerasLayer): string[] {
  return (layer.inbound_nodes[0] ?? []).map((n) => n[0]);
}
