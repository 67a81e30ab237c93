// Fashion-MNIST's ten classes in label order, as folder names ("T-shirt/top" cannot be one): the demo project's
// classes come from here (scripts/data writes them), and so do the development fake's, so the two always match.
export const FASHION_CLASSES = [
  'T-shirt_top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle_boot',
] as const;
