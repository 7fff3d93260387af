/**
 * The main rules of the SVG Tiny Portable/Secure profile that BIMI requires of a logo
 * (draft-svg-tiny-ps-abrotman; the BIMI Group's implementation guide): a root <svg> with
 * baseProfile="tiny-ps" and version="1.2", a <title>, no x= or y= on the root, nothing scripted,
 * animated or interactive, no reference outside the file, no entity declarations, at most 32 KiB.
 * A scan of the tags, not a validating XML parser: it finds what receivers refuse, not every
 * well-formedness error.
 */

export const BIMI_MAX_SVG_BYTES = 32 * 1024

export interface SvgCheck {
  /** The file follows the rules checked here. */
  tinyPs: boolean
  title: string | null
  /** The viewBox is square (BIMI asks for a square logo; receivers crop or refuse others). */
  square: boolean | null
  problems: string[]
}

const FORBIDDEN = new Set(['script', 'foreignobject', 'animate', 'animatemotion', 'animatetransform', 'animatecolor', 'set', 'discard', 'image', 'video', 'audio', 'iframe', 'a', 'handler', 'listener'])

interface Tag {
  name: string
  attributes: Map<string, string>
  closing: boolean
  index: number
}

function attributesOf(text: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const match of text.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attributes.set(match[1].toLowerCase(), match[3] ?? match[4] ?? '')
  }
  return attributes
}

function tagsOf(text: string): Tag[] {
  // Comments, CDATA sections and processing instructions hold no tags.
  const clean = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<\?[\s\S]*?\?>/g, '')
  const tags: Tag[] = []
  for (const match of clean.matchAll(/<(\/?)([A-Za-z_][\w:.-]*)([^>]*)>/g)) {
    tags.push({name: match[2].toLowerCase().replace(/^svg:/, ''), attributes: attributesOf(match[3]), closing: match[1] === '/', index: match.index ?? 0})
  }
  return tags
}

export function checkSvgTinyPs(bytes: Buffer): SvgCheck {
  const problems: string[] = []
  if (bytes.length > BIMI_MAX_SVG_BYTES) problems.push(`the file is ${bytes.length} bytes; BIMI allows ${BIMI_MAX_SVG_BYTES}`)
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return {tinyPs: false, title: null, square: null, problems: [...problems, 'the file is gzip-compressed (SVGZ); BIMI wants plain SVG']}
  }
  const text = bytes.toString('utf8')
  if (/<!ENTITY/i.test(text)) problems.push('the file declares XML entities, which receivers refuse')
  const tags = tagsOf(text)
  const root = tags.find((t) => !t.closing)
  if (!root || root.name !== 'svg') {
    return {tinyPs: false, title: null, square: null, problems: [...problems, root ? `the root element is <${root.name}>, not <svg>` : 'no XML element: not an SVG file']}
  }
  const baseProfile = root.attributes.get('baseprofile')
  if (baseProfile !== 'tiny-ps') problems.push(baseProfile === undefined ? 'the <svg> element has no baseProfile="tiny-ps"' : `baseProfile="${baseProfile}" is not tiny-ps`)
  const version = root.attributes.get('version')
  if (version !== '1.2') problems.push(version === undefined ? 'the <svg> element has no version="1.2"' : `version="${version}" is not 1.2`)
  for (const attribute of ['x', 'y']) if (root.attributes.has(attribute)) problems.push(`the <svg> element has ${attribute}=, which the profile forbids`)
  const titleMatch = /<title(?:\s[^>]*)?>([\s\S]*?)<\/title>/i.exec(text)
  const title = titleMatch ? titleMatch[1].replace(/\s+/g, ' ').trim() : null
  if (!titleMatch) problems.push('there is no <title> element (the profile requires one, receivers show it)')
  const seen = new Set<string>()
  for (const tag of tags) {
    if (tag.closing) continue
    if (FORBIDDEN.has(tag.name) && !seen.has(tag.name)) {
      seen.add(tag.name)
      problems.push(`<${tag.name}> is not allowed (no scripts, animation, embedded media or links)`)
    }
    for (const [name, value] of tag.attributes) {
      if (/^on[a-z]+$/.test(name)) problems.push(`<${tag.name} ${name}=…>: event handlers are not allowed`)
      if ((name === 'href' || name === 'xlink:href') && !value.startsWith('#')) problems.push(`<${tag.name} ${name}="${value.slice(0, 60)}">: references outside the file are not allowed`)
    }
  }
  const viewBox = root.attributes.get('viewbox')?.trim().split(/[\s,]+/).map(Number)
  const square = viewBox && viewBox.length === 4 && viewBox.every(Number.isFinite) ? Math.abs(viewBox[2] - viewBox[3]) < 1e-9 : null
  if (square === false) problems.push(`the viewBox (${root.attributes.get('viewbox')}) is not square`)
  return {tinyPs: problems.length === 0, title, square, problems: [...new Set(problems)]}
}
