// The thought's marks kept to the prompt's descriptions (agent/planners/thought-marks.ts): which marks a
// description allows, on a real prompt's text and the shipped tokenizer, and the mask the decoders use.
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { allowedMarks, destinationWords, heldWords, markTokens, maskLogits, neededWords, openWords, pickWords, placeWords, statedEntities, thoughtMarks, thoughtMask } from '../../agent/planners/thought-marks.ts';

const { tokenizer } = await loadBundleFile(defaultCheckpointPath());
const id = (mark: string): number => {
  const ids = tokenizer.encode(` ${mark}`, { allowSpecial: false });
  expect(ids.length).toBe(1);
  return ids[0]!;
};

const PROMPT = [
  'Places:',
  'living_room_1: blue sofa #1, yellow table #2',
  'kitchen_1: yellow counter #3, blue fridge #4 (opens), black mat #5',
  'See:',
  'white plate #6 on #2, 1.9 m',
  'red teddy bear #10 on #1, 3.2 m',
  'Unsearched surfaces: yellow counter #3',
  'Task: Grab the orange plate.',
].join('\n');
const marks = thoughtMarks(PROMPT, tokenizer);

describe('thought marks', () => {
  it('reads each mark\'s descriptions from the prompt, not its relations ("on #2")', () => {
    expect(marks.phrases.get(id('#2'))).toEqual([['yellow', 'table']]);
    expect(marks.phrases.get(id('#10'))).toEqual([['red', 'teddy', 'bear']]);
    expect(marks.phrases.get(id('#3'))).toEqual([['yellow', 'counter']]);
  });

  it('allows after a description exactly the marks the prompt gives it, else those of its category, else any', () => {
    expect(allowedMarks('So: goto the yellow counter', marks)).toEqual(new Set([id('#3')]));
    expect(allowedMarks('I pick up the red teddy bear', marks)).toEqual(new Set([id('#10')]));
    // A colour the prompt does not give a fridge: the fridge of the prompt.
    expect(allowedMarks('It could be in the yellow fridge', marks)).toEqual(new Set([id('#4')]));
    // A plate of another colour: the plates the prompt marks.
    expect(allowedMarks('The orange plate', marks)).toEqual(new Set([id('#6')]));
    expect(allowedMarks('I need the orange mug', marks)).toBeNull();
    expect(allowedMarks('', marks)).toBeNull();
  });

  it('keeps a place the thought says the thing could be in (on) to the prompt\'s Unsearched containers (surfaces)', () => {
    const prompt = [
      'Places:',
      'bedroom_1: white bed #1, green drawer #2 (opens), white table #3',
      'kitchen_1: blue counter #5, blue drawer #7 (opens)',
      'bathroom_1: green cabinet #9 (opens)',
      'See:',
      'nothing',
      'Unsearched surfaces: white bed #1, blue counter #5',
      'Unsearched containers: blue drawer #7, green cabinet #9',
      'Task: Find the orange book and pick it up.',
    ].join('\n');
    const m = thoughtMarks(prompt, tokenizer);
    const said = 'Thought: I need the orange book. The orange book is not in sight. It could be in the';
    // A drawer of no colour the prompt gives: of the drawers, the one not yet searched (not the bedroom's #2).
    expect(allowedMarks(`${said} white drawer`, m)).toEqual(new Set([id('#7')]));
    expect(allowedMarks(`${said} green cabinet`, m)).toEqual(new Set([id('#9')]));
    // A searched container described exactly: the unsearched ones instead.
    expect(allowedMarks(`${said} green drawer`, m)).toEqual(new Set([id('#7'), id('#9')]));
    expect(allowedMarks(said, m)).toEqual(new Set([id('#7'), id('#9')]));
    expect(allowedMarks('The orange book is not in sight. It could be on the white', m)).toEqual(new Set([id('#1'), id('#5')]));
    expect(allowedMarks('It could be on the white bed', m)).toEqual(new Set([id('#1')]));
    // The closing choice of such a thought goes to one of them too, whatever the sentence before wrote.
    expect(allowedMarks(`${said} white drawer. first container I have not checked. So: goto the white drawer`, m)).toEqual(new Set([id('#7')]));
    expect(allowedMarks('I need the orange book. So: goto the green drawer', m)).toEqual(new Set([id('#2')]));
    // Other sentences keep the description rules.
    expect(allowedMarks('I open the green drawer', m)).toEqual(new Set([id('#2')]));
    expect(allowedMarks('I remember it in the green drawer', m)).toEqual(new Set([id('#2')]));
    // Nothing unsearched: the description rules alone.
    const none = thoughtMarks(prompt.replace(/Unsearched containers: .*/, 'Unsearched containers: none'), tokenizer);
    expect(allowedMarks(`${said} green drawer`, none)).toEqual(new Set([id('#2')]));
  });

  it('keeps a container opened to look inside to the one the last step went to', () => {
    const prompt = (history: string): string =>
      [
        'Places:',
        'bedroom_1: white bed #1, white drawer #2 (opens)',
        'kitchen_1: black cabinet #3 (opens), blue counter #4',
        'See:',
        'black cabinet #3, closed, 1.2 m',
        'Unsearched surfaces: white bed #1, blue counter #4',
        'Unsearched containers: black cabinet #3',
        history,
        'Task: Find the blue sponge and hold it.',
      ].join('\n');
    const m = thoughtMarks(prompt('History:\n1. goto(#2): ok\n2. close(#2): ok\n3. goto(#3): ok'), tokenizer);
    expect(m.reached).toBe(id('#3'));
    expect(m.containers).toEqual(new Set(['drawer', 'cabinet']));
    const said = 'Thought: I need the blue sponge. The blue sponge is not in sight. I open the';
    // The drawer across the room, described exactly: the cabinet the agent stands at instead.
    expect(allowedMarks(`${said} white drawer`, m)).toEqual(new Set([id('#3')]));
    expect(allowedMarks(`${said} white drawer #3 to look inside. So: open the white drawer`, m)).toEqual(new Set([id('#3')]));
    // After an open that worked, the same container: a cabinet of another colour, or a drawer, is this one.
    const opened = thoughtMarks(prompt('History:\n1. goto(#3): ok\n2. open(#3): ok'), tokenizer);
    expect(opened.reached).toBe(id('#3'));
    expect(allowedMarks('Thought: The white cabinet', opened)).toEqual(new Set([id('#3')]));
    expect(allowedMarks('Thought: The white drawer', opened)).toEqual(new Set([id('#3')]));
    expect(allowedMarks('The blue sponge is not in the white cabinet #3. I close it and look elsewhere. So: close the white cabinet', m)).toEqual(new Set([id('#3')]));
    // What is not a container, and sentences about where the thing could be or is remembered, keep their rules.
    expect(allowedMarks('I am at the blue counter', m)).toEqual(new Set([id('#4')]));
    expect(allowedMarks('The white bed', m)).toEqual(new Set([id('#1')]));
    expect(allowedMarks('The blue sponge is not in sight. I remember it in the black cabinet', m)).toEqual(new Set([id('#3')]));
    expect(allowedMarks('The blue sponge is not in sight. I remember it in the white drawer', m)).toEqual(new Set([id('#2')]));
    // No constraint when the last step did not reach a container: it failed, went to a surface, or there is none.
    for (const history of ['History:\n1. goto(#3): failed path_blocked (no way)', 'History:\n1. goto(#4): ok', 'History: none', 'History:\n1. goto(#3): ok\n2. pick(#5): ok']) {
      const other = thoughtMarks(prompt(history), tokenizer);
      expect(other.reached, history).toBeNull();
      expect(allowedMarks(`${said} white drawer`, other), history).toEqual(new Set([id('#2')]));
    }
  });

  it('keeps the thing a thought needs to one the Task names and has not marked done, then to what the prompt knows of it', () => {
    const prompt = (task: string): string =>
      [
        'Places:',
        'kitchen_1: blue shelf #1, white cabinet #2 (opens)',
        'See:',
        'purple cup #3 on #1, 2.8 m',
        'Named in the task:',
        'purple cup #3: in sight on #1, 2.8 m',
        'blue shelf #1: in sight, 3.2 m',
        'orange teddy bear #4: not in sight, last seen in #2',
        'white cabinet #2: not in sight',
        `Task: ${task}`,
      ].join('\n');
    const m = thoughtMarks(prompt('Place the purple cup on top of the blue shelf, move the black mug into the cabinet and put the orange teddy bear on the shelf.'), tokenizer);
    expect(m.wanted).toEqual([['purple', 'cup'], ['black', 'mug'], ['orange', 'teddy', 'bear']]);
    // What is in sight or was seen (a landmark in sight too, which no thing the Task wants is).
    expect(m.seen).toEqual(new Map([['purple cup', '#3'], ['blue shelf', '#1'], ['orange teddy bear', '#4']]));
    // The colour, then the category that goes with it: not "the purple mug".
    // The first of them, as the teacher works through a task in its order.
    expect(neededWords('Thought: I need the', m)).toEqual(new Set([' purple']));
    expect(neededWords('Thought: I need the purple', m)).toEqual(new Set([' cup']));
    expect(neededWords('Thought: I need the orange teddy', m)).toBeNull();
    // Seen: its mark, then "I have seen it"; not seen: no mark, then "The black mug is not in sight".
    expect(neededWords('Thought: I need the purple cup', m)).toEqual(new Set([' #3']));
    expect(neededWords('Thought: I need the purple cup #3.', m)).toEqual(new Set([' I']));
    // A thing to go next to, likewise.
    expect(neededWords('Thought: I need to be next to the', m)).toEqual(new Set([' purple']));
    expect(neededWords('Thought: I need to be next to the purple cup #3.', m)).toEqual(new Set([' I']));
    // Once the cup is done, the black mug, not seen: no mark, then "The black mug is not in sight".
    const next = thoughtMarks(prompt('Place the purple cup, done, on top of the blue shelf, move the black mug into the cabinet and put the orange teddy bear on the shelf.'), tokenizer);
    expect(neededWords('Thought: I need the black mug', next)).toEqual(new Set(['.']));
    expect(neededWords('Thought: I need the black mug.', next)).toEqual(new Set([' The']));
    expect(neededWords('Thought: I need the orange teddy bear #4.', next)).toBeNull();
    // Elsewhere, or a thing the Task does not name: no rule.
    expect(neededWords('Thought: I need the red', m)).toBeNull();
    expect(neededWords('Thought: I need my gripper free for the', m)).toBeNull();
    expect(neededWords('Thought: The purple cup #3 is right here within reach. I pick it up. So: pick the', m)).toBeNull();
    // Format 4: a part marked done is not needed any more.
    const done = thoughtMarks(prompt('Place the purple cup, done, on top of the blue shelf and move the black mug into the cabinet.'), tokenizer);
    expect(done.wanted).toEqual([['black', 'mug']]);
    expect(neededWords('Thought: I need the', done)).toEqual(new Set([' black']));
    // The mask allows exactly those tokens.
    const mask = thoughtMask('Thought: I need the purple', m, tokenizer);
    const cup = tokenizer.encode(' cup', { allowSpecial: false })[0]!;
    const mug = tokenizer.encode(' mug', { allowSpecial: false })[0]!;
    expect(((mask![cup >>> 5]! >>> (cup & 31)) & 1) === 1).toBe(true);
    expect(((mask![mug >>> 5]! >>> (mug & 31)) & 1) === 1).toBe(false);
    expect([...mask!].reduce((n, w) => n + w.toString(2).split('1').length - 1, 0)).toBe(1);
  });

  it('writes where the thing could be as the first place of the Unsearched line, word by word, then its mark', () => {
    const prompt = (surfaces: string): string =>
      [
        'Places:',
        'living_room_1: white sofa #1, black shelf #2, yellow cabinet #3 (opens)',
        'bathroom_1: green shelf #4, black cabinet #5 (opens)',
        'See:',
        'nothing',
        `Unsearched surfaces: ${surfaces}`,
        'Unsearched containers: yellow cabinet #3, black cabinet #5 (+1 more)',
        'Task: Tidy up: put the green mug on the black shelf.',
      ].join('\n');
    const m = thoughtMarks(prompt('green shelf #4, black shelf #2'), tokenizer);
    expect(m.firstUnsearched.on).toEqual({ words: ['green', 'shelf'], mark: '#4' });
    expect(m.firstUnsearched.in).toEqual({ words: ['yellow', 'cabinet'], mark: '#3' });
    const said = 'Thought: I need the green mug. The green mug is not in sight. It could be';
    expect(placeWords(`${said} on the`, m)).toEqual(new Set([' green']));
    expect(placeWords(`${said} on the green`, m)).toEqual(new Set([' shelf']));
    expect(placeWords(`${said} on the green shelf`, m)).toEqual(new Set([' #4']));
    expect(placeWords(`${said} in the yellow`, m)).toEqual(new Set([' cabinet']));
    expect(placeWords(`${said} in the yellow cabinet`, m)).toEqual(new Set([' #3']));
    // The closing choice names the same place.
    const closing = `${said} on the green shelf #4, the first place I have not looked at. So: goto the`;
    expect(placeWords(closing, m)).toEqual(new Set([' green']));
    expect(placeWords(`${closing} green shelf`, m)).toEqual(new Set([' #4']));
    // Once written, departed from, or where the line names nothing: no rule (rule 4 then holds the mark).
    expect(placeWords(`${said} on the green shelf #4`, m)).toBeNull();
    expect(placeWords(`${said} on the black`, m)).toBeNull();
    expect(placeWords('I need the green mug. So: goto the', m)).toBeNull();
    expect(placeWords(`${said} on the`, thoughtMarks(prompt('none'), tokenizer))).toBeNull();
    // The mask: that word alone.
    const mask = thoughtMask(`${said} on the`, m, tokenizer);
    const green = tokenizer.encode(' green', { allowSpecial: false })[0]!;
    expect(((mask![green >>> 5]! >>> (green & 31)) & 1) === 1).toBe(true);
    expect([...mask!].reduce((n, w) => n + w.toString(2).split('1').length - 1, 0)).toBe(1);
  });

  it('opens the closed container the last step went to before looking anywhere else', () => {
    const prompt = (see: string, history: string): string =>
      [
        'Places:',
        'bathroom_1: black counter #1, yellow cabinet #2 (opens)',
        'kitchen_1: white fridge #3 (opens)',
        'See:',
        see,
        'Unsearched surfaces: none',
        'Unsearched containers: yellow cabinet #2, white fridge #3',
        `History:\n${history}`,
        'Task: Find the blue sponge and hold it.',
      ].join('\n');
    const m = thoughtMarks(prompt('yellow cabinet #2, closed, 1.1 m', '1. goto(#1): ok\n2. goto(#2): ok'), tokenizer);
    expect(m.openReached).toBe(' I open the yellow cabinet #2');
    const said = 'Thought: I need the blue sponge. The blue sponge is not in sight.';
    expect(openWords(said, m)).toEqual(new Set([' I']));
    expect(openWords(`${said} I open the`, m)).toEqual(new Set([' yellow']));
    expect(openWords(`${said} I open the yellow cabinet`, m)).toEqual(new Set([' #2']));
    expect(openWords(`${said} It could`, m)).toBeNull();
    expect(openWords('Thought: I need the blue sponge.', m)).toBeNull();
    // Not when the container is open already, when the last step opened it (the teacher then steps in front of
    // it), or when it went somewhere else.
    expect(thoughtMarks(prompt('yellow cabinet #2, open, 1.1 m', '1. goto(#2): ok'), tokenizer).openReached).toBeNull();
    expect(thoughtMarks(prompt('yellow cabinet #2, open, 1.1 m', '1. goto(#2): ok\n2. open(#2): ok'), tokenizer).openReached).toBeNull();
    expect(thoughtMarks(prompt('yellow cabinet #2, closed, 3.1 m', '1. goto(#1): ok'), tokenizer).openReached).toBeNull();
  });

  it('names the held thing after "I have the", "I put the" and "So: place the"', () => {
    const prompt = (holding: string, named: string): string =>
      [
        'Places:',
        'living_room_1: black shelf #1, black table #2',
        'See:',
        'black shelf #1, 1.1 m',
        `You: in living_room_1, holding ${holding}.`,
        'Named in the task:',
        named,
        'black shelf #1: in sight, 1.1 m',
        'Task: Tidy up: put the green mug on the black shelf and the purple teddy bear on the table.',
      ].join('\n');
    const m = thoughtMarks(prompt('mug #17', 'green mug #17: held'), tokenizer);
    expect(m.held).toEqual({ named: ' green mug #17', bare: ' mug #17' });
    expect(heldWords('Thought: I am at the black shelf #1; I put the', m)).toEqual(new Set([' green']));
    expect(heldWords('Thought: I have the green', m)).toEqual(new Set([' mug']));
    expect(heldWords('Thought: I have the green mug', m)).toEqual(new Set([' #17']));
    expect(heldWords('Thought: I am at the black shelf #1; I put the green mug #17 on it. So: place the', m)).toEqual(new Set([' mug']));
    expect(heldWords('Thought: So: place the mug', m)).toEqual(new Set([' #17']));
    // Elsewhere, departed from, or with nothing held: no rule.
    expect(heldWords('Thought: I have seen it', m)).toBeNull();
    expect(heldWords('Thought: I have the purple', m)).toBeNull();
    expect(heldWords('Thought: So: goto the', m)).toBeNull();
    const empty = thoughtMarks(prompt('nothing', 'green mug #17: not in sight'), tokenizer);
    expect(empty.held).toEqual({ named: null, bare: null });
    expect(heldWords('Thought: I have the', empty)).toBeNull();
    // Held, but not named in the task: only the closing choice is held to it.
    const unnamed = thoughtMarks(prompt('cup #9', 'green mug #17: not in sight'), tokenizer);
    expect(unnamed.held).toEqual({ named: null, bare: ' cup #9' });
  });

  it('names where the held thing goes: the first landmark the Task names after it', () => {
    const prompt = (holding: string, named: string[]): string =>
      [
        'Places:',
        'living_room_1: white sofa #1, black table #2, black shelf #3',
        'kitchen_1: white fridge #8 (opens)',
        'See:',
        'black shelf #3, 1.1 m',
        `You: in living_room_1, holding ${holding}.`,
        'Named in the task:',
        ...named,
        'Task: Tidy up: put the green mug on the black shelf, place the white box on top of the table and put the purple teddy bear in the fridge.',
      ].join('\n');
    const lines = ['green mug #17: held', 'black shelf #3: in sight, 1.1 m', 'black table #2: not in sight', 'purple teddy bear #18: not in sight, last seen on #2', 'white fridge #8: not in sight'];
    const m = thoughtMarks(prompt('mug #17', lines), tokenizer);
    expect(m.destination).toBe(' black shelf #3');
    expect(destinationWords('Thought: I have the green mug #17. It goes on the', m)).toEqual(new Set([' black']));
    expect(destinationWords('Thought: I have the green mug #17. It goes in the black', m)).toEqual(new Set([' shelf']));
    expect(destinationWords('Thought: I have the green mug #17. It goes on the black shelf #3, so I go there. So: goto the black shelf', m)).toEqual(new Set([' #3']));
    expect(destinationWords('Thought: I am at the black shelf #3; I put the green mug #17 on it. So: place the mug #17 on the', m)).toEqual(new Set([' black']));
    // A thing put down to free the gripper goes to the nearest surface, and a goto of another thought is free.
    expect(destinationWords('Thought: I need my gripper free for the white box, so I put down the green mug first. So: place the mug #17 on the', m)).toBeNull();
    expect(destinationWords('Thought: I need the white box. So: goto the', m)).toBeNull();
    // The teddy bear goes in the fridge, the line right after it.
    const bear = thoughtMarks(prompt('teddy bear #18', [lines[1]!, lines[2]!, 'purple teddy bear #18: held', lines[4]!]), tokenizer);
    expect(bear.destination).toBe(' white fridge #8');
    // A thing named next is not a place: no rule ("place the white box inside it").
    expect(thoughtMarks(prompt('mug #17', [lines[0]!, lines[3]!, lines[1]!]), tokenizer).destination).toBeNull();
    // Nothing held, or no landmark after it: no rule.
    expect(thoughtMarks(prompt('nothing', lines.slice(1)), tokenizer).destination).toBeNull();
    expect(thoughtMarks(prompt('teddy bear #18', [lines[1]!, 'purple teddy bear #18: held']), tokenizer).destination).toBeNull();
  });

  it('names, of the places a Task\'s clause names alike, the one in the room it names', () => {
    const prompt = (task: string): string =>
      [
        'Places:',
        'bedroom_1: white bed #1, yellow shelf #3',
        'kitchen_1: yellow counter #6, red fridge #7 (opens)',
        'bathroom_1: yellow counter #9, red shelf #11',
        'See:',
        'white bed #1, 1.7 m',
        'You: in bedroom_1, holding teddy bear #13.',
        'Named in the task:',
        'green orange #14: not in sight, last seen on #3',
        'yellow shelf #3: not in sight',
        'orange teddy bear #13: held',
        'yellow counter #6: not in sight',
        'yellow counter #9: not in sight',
        `Task: ${task}`,
      ].join('\n');
    const task = 'Rearrange things: set the green orange, done, down on the yellow shelf and put the orange teddy bear on the counter in the bathroom.';
    expect(thoughtMarks(prompt(task), tokenizer).destination).toBe(' yellow counter #9');
    expect(thoughtMarks(prompt(task.replace('bathroom', 'kitchen')), tokenizer).destination).toBe(' yellow counter #6');
    // No room named: no rule.
    expect(thoughtMarks(prompt(task.replace(' in the bathroom', '')), tokenizer).destination).toBeNull();
  });

  it('picks up only a wanted thing the prompt says is in reach', () => {
    const prompt = (task: string): string =>
      [
        'Places:',
        'kitchen_1: black table #1, yellow fridge #2 (opens)',
        'See:',
        'purple box #10 on #1, 0.4 m',
        'yellow mug #9 on #1, 0.5 m',
        'Named in the task:',
        'purple box #10: in reach on #1, 0.4 m',
        'yellow mug #9: in reach on #1, 0.5 m',
        'black table #1: in sight, 0.9 m',
        `Task: ${task}`,
      ].join('\n');
    const m = thoughtMarks(prompt('Place the purple box, done, on top of the table, store the yellow mug in the fridge and put the orange phone on the table.'), tokenizer);
    const said = 'Thought: The purple box #10 is right here within reach. I pick it up. So: pick the';
    // The box is done and the phone never seen: the mug alone.
    expect(pickWords(said, m)).toEqual(new Set([' yellow']));
    expect(pickWords(`${said} yellow mug`, m)).toEqual(new Set([' #9']));
    expect(pickWords(`${said} purple`, m)).toBeNull();
    expect(pickWords('Thought: So: goto the', m)).toBeNull();
    // Both wanted and in reach: the first the Task names.
    const both = thoughtMarks(prompt('Place the purple box on top of the table and store the yellow mug in the fridge.'), tokenizer);
    expect(pickWords(said, both)).toEqual(new Set([' purple']));
    // Seen, but not in reach: no rule.
    const far = thoughtMarks(prompt('Place the purple box, done, on top of the table and store the yellow mug in the fridge.').replace('yellow mug #9: in reach', 'yellow mug #9: in sight'), tokenizer);
    expect(far.seen.get('yellow mug')).toBe('#9');
    expect(pickWords(said, far)).toBeNull();
  });

  it('masks out every other mark token and nothing else', () => {
    const mask = thoughtMask('goto the yellow counter', marks, tokenizer);
    expect(mask).not.toBeNull();
    const allowed = (v: number): boolean => ((mask![v >>> 5]! >>> (v & 31)) & 1) === 1;
    const all = markTokens(tokenizer);
    expect(all.length).toBeGreaterThan(10);
    for (const m of all) expect(allowed(m), tokenizer.decode([m])).toBe(m === id('#3'));
    const word = tokenizer.encode(' table', { allowSpecial: false })[0]!;
    expect(allowed(word)).toBe(true);
    const logits = new Float32Array(tokenizer.vocabSize).fill(0);
    logits[id('#4')] = 9;
    logits[id('#3')] = 1;
    const masked = maskLogits(logits, mask!);
    expect(masked[id('#4')]).toBe(Number.NEGATIVE_INFINITY);
    expect(masked[id('#3')]).toBe(1);
    expect(thoughtMask('I need the orange mug', marks, tokenizer)).toBeNull();
  });
});

describe('the action follows the thought', () => {
  const entities = ['#1', '#2', '#3', '#7', '#9', 'apple_1'];
  it('limits the entities to those the last "So:" clause names', () => {
    expect(statedEntities('The red fridge #7 is right here. So: pick the red apple #9.', entities)).toEqual(['#9']);
    expect(statedEntities('So: goto #1. Then more. So: put the yellow apple #3 in the red fridge #7.', entities)).toEqual(['#3', '#7']);
    expect(statedEntities('I have seen it. So: goto apple_1.', entities)).toEqual(['apple_1']);
  });
  it('leaves them as they were without a clause, or when it names nothing the action may use', () => {
    expect(statedEntities('I need the yellow apple.', entities)).toBe(entities);
    expect(statedEntities('So: goto the red fridge #12.', entities)).toBe(entities);
    expect(statedEntities('So: look around.', entities)).toBe(entities);
  });
});
