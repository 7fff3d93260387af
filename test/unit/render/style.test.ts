import {Chalk} from 'chalk'
import {beforeAll, describe, expect, it, vi} from 'vitest'

// A fresh instance of the module, whatever other test files in the same worker loaded before: the tests below check
// when it loads chalk.
let colourLevel: typeof import('../../../src/render/style.js').colourLevel
let makeStyle: typeof import('../../../src/render/style.js').makeStyle
let prepareColour: typeof import('../../../src/render/style.js').prepareColour
beforeAll(async () => {
  vi.resetModules()
  ;({colourLevel, makeStyle, prepareColour} = await import('../../../src/render/style.js'))
})

const pipe = {isTTY: false} as NodeJS.WriteStream
const terminal = {isTTY: true} as NodeJS.WriteStream

describe('styles without colour need no chalk (src/render/style.ts)', () => {
  // In this order: chalk is not loaded until the last test prepares colour for a terminal.
  it('decides "no colour" without chalk: a pipe, NO_COLOR, TERM=dumb, FORCE_COLOR=0', () => {
    expect(colourLevel(pipe, {})).toBe(0)
    expect(colourLevel(terminal, {NO_COLOR: '1'})).toBe(0)
    expect(colourLevel(terminal, {TERM: 'dumb'})).toBe(0)
    expect(colourLevel(terminal, {FORCE_COLOR: '0'})).toBe(0)
    expect(colourLevel(pipe, {FORCE_COLOR: '2'})).toBe(2)
    expect(() => colourLevel(terminal, {})).toThrow(/prepareColour/)
  })

  it('gives at level 0 exactly what chalk gives at level 0', () => {
    const plain = makeStyle(0)
    const chalk = new Chalk({level: 0})
    const calls: ((c: typeof chalk) => unknown)[] = [
      (c) => c.bold('x'),
      (c) => c.red.bold('a', 'b'),
      (c) => c.dim(''),
      (c) => c.yellow(5),
      (c) => c.hidden('h'),
      (c) => c.green.bgBlue.underline('nested'),
      (c) => c.hex('#ffffff')('hex'),
      (c) => c.bgAnsi256(3).bold('256'),
      (c) => c.visible('only with colour'),
      (c) => c.level,
    ]
    for (const call of calls) expect(call(plain), call.toString()).toEqual(call(chalk))
  })

  it('loads chalk for a terminal, and colours there', async () => {
    await prepareColour([pipe], {})
    expect(() => colourLevel(terminal, {})).toThrow(/prepareColour/)
    await prepareColour([pipe, terminal], {})
    expect(colourLevel(terminal, {})).toBeGreaterThanOrEqual(1)
    expect(makeStyle(1).red('x')).toBe('\u001b[31mx\u001b[39m')
  })
})
