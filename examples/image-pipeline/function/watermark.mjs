// The watermark: a magenta badge with block letters, drawn as SVG rectangles so that it
// renders the same everywhere. SVG <text> would need system fonts, which a Lambda
// execution environment (and a Nimbus sandbox) may not have.

/** The badge's colour: rare in photographs, so the watermark is easy to see and to test for. */
export const WATERMARK_COLOR = '#ff00ff';
const LETTER_COLOR = '#ffffff';

/** Share of the image's width the badge aims for. */
const WIDTH_SHARE = 0.3;

// 5×7 block letters; '#' is ink. Characters without a glyph are drawn as spaces.
const GLYPHS = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.####', '#....', '#....', '#....', '#....', '#....', '.####'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.####', '#....', '#....', '#.###', '#...#', '#...#', '.###.'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '#####'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '##.##', '#...#'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  0: ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  1: ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  2: ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  3: ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  4: ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  5: ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  6: ['.###.', '#....', '#....', '####.', '#...#', '#...#', '.###.'],
  7: ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  8: ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  9: ['.###.', '#...#', '#...#', '.####', '....#', '....#', '.###.'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.....', '..#..'],
};
const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;
/** Padding around the letters and margin to the image's edges, in glyph pixels. */
const PADDING = 2;

/**
 * The badge for an image of width × height: an SVG and where its top-left corner goes
 * (bottom-right corner of the image). Undefined when the image is too small to carry it.
 */
export function watermarkFor(width, height, text) {
  const chars = [...text.toUpperCase()].slice(0, 32);
  if (chars.length === 0) return undefined;
  const columns = chars.length * (GLYPH_WIDTH + 1) - 1 + 2 * PADDING;
  const rows = GLYPH_HEIGHT + 2 * PADDING;
  // Size of one glyph pixel: the badge takes about WIDTH_SHARE of the width, and it fits
  // (with its margin) in both dimensions.
  const unit = Math.min(
    Math.floor((width * WIDTH_SHARE) / columns),
    Math.floor(width / (columns + PADDING)),
    Math.floor(height / (rows + PADDING)),
  );
  const tooSmall = unit < 1;
  if (tooSmall) return undefined;
  const boxWidth = columns * unit;
  const boxHeight = rows * unit;
  const rects = [];
  chars.forEach((ch, i) => {
    const glyph = GLYPHS[ch];
    if (!glyph) return;
    const x0 = PADDING + i * (GLYPH_WIDTH + 1);
    glyph.forEach((line, y) => {
      for (let x = 0; x < GLYPH_WIDTH; x++) {
        if (line[x] === '#') rects.push(`<rect x="${(x0 + x) * unit}" y="${(PADDING + y) * unit}" width="${unit}" height="${unit}"/>`);
      }
    });
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${boxWidth}" height="${boxHeight}" shape-rendering="crispEdges">` +
    `<rect width="${boxWidth}" height="${boxHeight}" fill="${WATERMARK_COLOR}"/>` +
    `<g fill="${LETTER_COLOR}">${rects.join('')}</g></svg>`;
  return {
    input: Buffer.from(svg),
    left: width - boxWidth - PADDING * unit,
    top: height - boxHeight - PADDING * unit,
    width: boxWidth,
    height: boxHeight,
  };
}
