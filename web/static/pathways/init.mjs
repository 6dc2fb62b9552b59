// Progressive enhancement only: every page works without JavaScript.
import { initAll } from '../govuk/govuk-frontend.min.js'
import { initConditionalReveals } from './conditional-reveal.mjs'

initAll()
initConditionalReveals()
