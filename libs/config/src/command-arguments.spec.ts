import { parseCommandArguments } from '@hub/config';

describe('command arguments', () => {
  const spec = { values: ['date', 'order'], flags: ['all'] };

  it('takes --name value and --name=value alike, repeated options, and flags', () => {
    const parsed = parseCommandArguments(['--date=2024-01-02', '--order', 'o1', '--order=o2', '--all'], spec);
    expect(parsed.one('date')).toBe('2024-01-02');
    expect(parsed.all('order')).toEqual(['o1', 'o2']);
    expect(parsed.flags.has('all')).toBe(true);
  });

  it('names what the command takes when an argument is unknown or has no value', () => {
    expect(() => parseCommandArguments(['--dates', 'x'], spec)).toThrow(/--date VALUE, --order VALUE, --all/);
    expect(() => parseCommandArguments(['--date'], spec)).toThrow(/--date/);
  });
});
