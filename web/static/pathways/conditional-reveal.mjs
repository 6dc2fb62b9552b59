// Conditional reveals for radios and checkboxes: the field that only one option needs is shown under
// that option once it is chosen (the GOV.UK pattern, same markup and CSS classes).
//
// Why not GOV.UK Frontend's own radios/checkboxes modules: they put aria-expanded on the inputs, which
// ARIA does not allow on radios or checkboxes, so axe reports a critical violation on every such form
// (alphagov/govuk-frontend#979). Here the inputs keep aria-controls only; the revealed field follows its
// option in the page, so it is read right after it. Without JavaScript every field simply shows.
const HIDDEN = /^govuk-(radios|checkboxes)__conditional$/

function targetOf (input) {
  const id = input.dataset.ariaControls
  return id ? document.getElementById(id) : null
}

function sync (inputs) {
  for (const input of inputs) {
    const target = targetOf(input)
    if (!target) continue
    const base = [...target.classList].find((name) => HIDDEN.test(name))
    if (base) target.classList.toggle(`${base}--hidden`, !input.checked)
  }
}

export function initConditionalReveals (root = document) {
  for (const group of root.querySelectorAll('[data-module="app-conditional-reveal"]')) {
    const inputs = [...group.querySelectorAll('input[type="radio"], input[type="checkbox"]')]
    for (const input of inputs) {
      if (targetOf(input)) input.setAttribute('aria-controls', input.dataset.ariaControls)
    }
    // Choosing a radio unchecks the others of its group without an event of theirs: sync them all.
    group.addEventListener('change', () => sync(inputs))
    sync(inputs)
  }
}
