// The case page's diagram: draws the pathway with the vendored bpmn-js navigated viewer (loaded by a
// plain <script> before this module: it defines window.BpmnJS) and marks where the case has been.
// Progressive enhancement only: the text version under the diagram says the same without JavaScript.
// Imports nothing; sets no style attributes (the Content-Security-Policy forbids inline styles), only
// classes: the look is in case-diagram.css.

const section = document.getElementById('case-diagram-section')
const dataNode = document.getElementById('case-diagram-data')

function badge (kind, text) {
  const node = document.createElement('span')
  node.className = `app-case-diagram__badge app-case-diagram__badge--${kind}`
  node.textContent = text
  // The badges repeat the text version, which screen readers read instead.
  node.setAttribute('aria-hidden', 'true')
  return node
}

function problem (canvasNode) {
  canvasNode.hidden = true
  section.querySelector('.app-case-diagram__controls').hidden = true
  section.querySelector('.app-case-diagram__hint').hidden = true
  document.getElementById('case-diagram-problem').hidden = false
}

function mark (viewer, data) {
  const canvas = viewer.get('canvas')
  const overlays = viewer.get('overlays')
  const registry = viewer.get('elementRegistry')
  for (const element of data.elements) {
    const shape = registry.get(element.id)
    if (!shape) continue // e.g. an element of a process this file does not draw
    if (element.completed) {
      canvas.addMarker(element.id, 'app-done')
      overlays.add(element.id, 'app-case-diagram', {
        // A boundary event sits on its host's edge: its tick goes to its right, clear of the host's
        // own tick and of the button that opens a collapsed subprocess.
        position: shape.host ? { top: 8, left: shape.width + 2 } : { bottom: 4, right: 4 },
        html: badge('done', element.completed > 1 ? `✓ ${element.completed}` : '✓')
      })
    }
    if (element.active) {
      canvas.addMarker(element.id, 'app-active')
      overlays.add(element.id, 'app-case-diagram', {
        position: { top: -20, left: -4 },
        html: badge('active', element.active > 1 ? `${element.active} now` : 'Now')
      })
    }
    if (element.waiting) {
      canvas.addMarker(element.id, 'app-waiting')
      overlays.add(element.id, 'app-case-diagram', {
        position: { top: -20, left: -4 },
        html: badge('waiting', element.waiting > 1 ? `${element.waiting} waiting` : 'Waiting')
      })
    }
  }
  for (const flow of data.flows) {
    if (registry.get(flow)) canvas.addMarker(flow, 'app-taken')
  }
}

function describe (canvasNode, label) {
  const svg = canvasNode.querySelector('svg')
  if (svg) {
    // An image with a name. It stays focusable: its arrow keys move it (see keyboard), Tab moves on.
    svg.setAttribute('role', 'img')
    svg.setAttribute('aria-label', label)
  }
  // The viewer's buttons to open a collapsed subprocess carry only an icon: give them a name.
  for (const button of canvasNode.querySelectorAll('button.bjs-drilldown')) {
    if (!button.hasAttribute('aria-label')) button.setAttribute('aria-label', 'Show what is inside this step')
  }
}

// The scale at which the shapes' labels can be read.
const READABLE = 0.8

// Where the case is now: what is happening, else what is waited for, else the last step done.
function focusElement (viewer, data) {
  const registry = viewer.get('elementRegistry')
  const drawn = data.elements.filter((element) => registry.get(element.id))
  const pick = drawn.find((e) => e.active) || drawn.find((e) => e.waiting) || drawn.filter((e) => e.completed).pop()
  return pick ? registry.get(pick.id) : null
}

// The whole pathway when it fits readably in the box; otherwise readable, around where the case is.
function showNow (viewer, data, always) {
  const canvas = viewer.get('canvas')
  const element = focusElement(viewer, data)
  if (element && canvas.findRoot(element) !== canvas.getRootElement()) {
    canvas.setRootElement(canvas.findRoot(element)) // back from inside a collapsed subprocess
  }
  canvas.zoom('fit-viewport', 'auto')
  if (element && (always || canvas.zoom() < READABLE)) {
    canvas.zoom(READABLE)
    // scrollToElement is a no-op for an element already in view: move it to the middle ourselves.
    const box = canvas.viewbox()
    canvas.viewbox({
      x: element.x + element.width / 2 - box.width / 2,
      y: element.y + element.height / 2 - box.height / 2,
      width: box.width,
      height: box.height
    })
  }
}

// Plain arrow keys move the drawing and + and - zoom it while it has focus (the viewer itself wants
// Ctrl with the arrows). Tab is left alone, so focus always moves on.
const STEP = 60
const KEYS = {
  ArrowLeft: { dx: STEP, dy: 0 },
  ArrowRight: { dx: -STEP, dy: 0 },
  ArrowUp: { dx: 0, dy: STEP },
  ArrowDown: { dx: 0, dy: -STEP }
}

function keyboard (viewer, canvasNode) {
  const canvas = viewer.get('canvas')
  canvasNode.addEventListener('keydown', (event) => {
    if (event.target.tagName.toLowerCase() !== 'svg' || event.ctrlKey || event.metaKey || event.altKey) return
    if (KEYS[event.key]) {
      canvas.scroll(KEYS[event.key])
    } else if (event.key === '+' || event.key === '=') {
      canvas.zoom(canvas.zoom() * 1.25)
    } else if (event.key === '-') {
      canvas.zoom(canvas.zoom() * 0.8)
    } else {
      return
    }
    event.preventDefault()
  })
}

function controls (viewer, data) {
  const canvas = viewer.get('canvas')
  const pathway = canvas.getRootElement()
  section.querySelector('.app-case-diagram__controls').addEventListener('click', (event) => {
    const button = event.target.closest('[data-diagram-zoom]')
    if (!button) return
    const how = button.getAttribute('data-diagram-zoom')
    if (how === 'fit') {
      canvas.setRootElement(pathway)
      canvas.zoom('fit-viewport', 'auto')
    } else if (how === 'now') {
      showNow(viewer, data, true)
    } else {
      canvas.zoom(canvas.zoom() * (how === 'in' ? 1.25 : 0.8))
    }
  })
}

async function draw () {
  const data = JSON.parse(dataNode.textContent)
  const canvasNode = document.getElementById('case-diagram')
  const viewer = new window.BpmnJS({ container: canvasNode })
  try {
    await viewer.importXML(data.xml, data.diagram || undefined)
  } catch (error) {
    problem(canvasNode)
    return
  }
  mark(viewer, data)
  showNow(viewer, data, false)
  describe(canvasNode, data.label)
  // A collapsed subprocess opens on a plane of its own: name that drawing's buttons too.
  viewer.get('eventBus').on('root.set', () => describe(canvasNode, data.label))
  controls(viewer, data)
  keyboard(viewer, canvasNode)
}

if (section && dataNode) {
  if (typeof window.BpmnJS === 'function') {
    draw()
  } else {
    problem(document.getElementById('case-diagram'))
  }
}
