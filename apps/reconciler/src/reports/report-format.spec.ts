import { csvField } from './report-format';

describe('CSV report fields', () => {
  it('neutralises cells a spreadsheet would run as formulas, and keeps numbers signed', () => {
    expect(csvField('=HYPERLINK("http://evil.example","x")')).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csvField('+1+1')).toBe("'+1+1");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField(-4.5)).toBe('-4.5');
    expect(csvField('order 1, "quoted"')).toBe('"order 1, ""quoted"""');
    expect(csvField(null)).toBe('');
  });
});
