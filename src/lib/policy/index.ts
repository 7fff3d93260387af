export * from './spf.js'
export * from './dmarc.js'
export * from './mta-sts.js'
export * from './tls-rpt.js'
export * from './dane.js'
export {parseTagList, type TagList} from './common.js'
export {parseIp, inNetwork, type IpAddress} from './ip.js'
export type {PolicyInfo} from './schema.js'

